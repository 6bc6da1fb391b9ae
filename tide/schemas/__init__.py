"""The threat vector JSON Schemas (the *.json files here) and their generated validators."""
