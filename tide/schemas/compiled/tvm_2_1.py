# Generated from tide/schemas/tvm-2.1.json by `python -m tide.schemas.compile`: do not edit.
# tide.validate uses it only while SCHEMA_SHA256 still matches the schema file.
SCHEMA_SHA256 = "5c51e66a84cbf3c595081da6241f8502839db9ce7678d7ac9c35dfde732d264a"
VERSION = "2.22.3"
from decimal import Decimal
import re
from tide.schemas.compiled import Invalid as JsonSchemaValueException, Invalid as JsonSchemaValuesException


REGEX_PATTERNS = {
    '\\S': re.compile('\\S'),
    '^[0-9]+$': re.compile('^[0-9]+$'),
    '^https?://[^\\s]+$': re.compile('^https?://[^\\s]+\\Z'),
    '^[a-z]$': re.compile('^[a-z]$'),
    '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$': re.compile('^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\\Z'),
    '^[0-9]{4}-[0-9]{2}-[0-9]{2}$': re.compile('^[0-9]{4}-[0-9]{2}-[0-9]{2}\\Z'),
    '^T[0-9]{4}(\\.[0-9]{3})?$': re.compile('^T[0-9]{4}(\\.[0-9]{3})?\\Z'),
    '^CVE-(1999|2[0-9]{3})-(0[0-9]{2}[0-9]|[1-9][0-9]{3,})$': re.compile('^CVE-(1999|2[0-9]{3})-(0[0-9]{2}[0-9]|[1-9][0-9]{3,})\\Z'),
    '^[a-fA-F0-9]{8}(-[a-fA-F0-9]{4}){3}-[a-fA-F0-9]{12}$': re.compile('^[a-fA-F0-9]{8}(-[a-fA-F0-9]{4}){3}-[a-fA-F0-9]{12}\\Z')
}

NoneType = type(None)

def validate(data, custom_formats={}, name_prefix=None):
    if not isinstance(data, (dict)):
        raise JsonSchemaValueException("not valid; tide.validate says why")
    data_is_dict = isinstance(data, dict)
    if data_is_dict:
        data__missing_keys = set(['name', 'criticality', 'threat', 'metadata']) - data.keys()
        if data__missing_keys:
            raise JsonSchemaValueException("not valid; tide.validate says why")
        data_keys = set(data.keys())
        if "name" in data_keys:
            data_keys.remove("name")
            data__name = data["name"]
            if not isinstance(data__name, (str)):
                raise JsonSchemaValueException("not valid; tide.validate says why")
            if isinstance(data__name, str):
                data__name_len = len(data__name)
                if data__name_len < 1:
                    raise JsonSchemaValueException("not valid; tide.validate says why")
                if data__name_len > 200:
                    raise JsonSchemaValueException("not valid; tide.validate says why")
                if not REGEX_PATTERNS['\\S'].search(data__name):
                    raise JsonSchemaValueException("not valid; tide.validate says why")
        if "criticality" in data_keys:
            data_keys.remove("criticality")
            data__criticality = data["criticality"]
            if not isinstance(data__criticality, (str)):
                raise JsonSchemaValueException("not valid; tide.validate says why")
            if isinstance(data__criticality, str):
                data__criticality_len = len(data__criticality)
                if data__criticality_len < 1:
                    raise JsonSchemaValueException("not valid; tide.validate says why")
                if not custom_formats["vocabulary-criticality"](data__criticality):
                    raise JsonSchemaValueException("not valid; tide.validate says why")
        if "references" in data_keys:
            data_keys.remove("references")
            data__references = data["references"]
            if not isinstance(data__references, (dict)):
                raise JsonSchemaValueException("not valid; tide.validate says why")
            data__references_any_of_count1 = 0
            if not data__references_any_of_count1:
                try:
                    data__references_is_dict = isinstance(data__references, dict)
                    if data__references_is_dict:
                        data__references__missing_keys = set(['public']) - data__references.keys()
                        if data__references__missing_keys:
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                    data__references_any_of_count1 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__references_any_of_count1:
                try:
                    data__references_is_dict = isinstance(data__references, dict)
                    if data__references_is_dict:
                        data__references__missing_keys = set(['internal']) - data__references.keys()
                        if data__references__missing_keys:
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                    data__references_any_of_count1 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__references_any_of_count1:
                raise JsonSchemaValueException("not valid; tide.validate says why")
            data__references_is_dict = isinstance(data__references, dict)
            if data__references_is_dict:
                data__references_keys = set(data__references.keys())
                if "public" in data__references_keys:
                    data__references_keys.remove("public")
                    data__references__public = data__references["public"]
                    if not isinstance(data__references__public, (dict)):
                        raise JsonSchemaValueException("not valid; tide.validate says why")
                    data__references__public_is_dict = isinstance(data__references__public, dict)
                    if data__references__public_is_dict:
                        data__references__public_keys = set(data__references__public.keys())
                        for data__references__public_key, data__references__public_val in data__references__public.items():
                            if REGEX_PATTERNS['^[0-9]+$'].search(data__references__public_key):
                                if data__references__public_key in data__references__public_keys:
                                    data__references__public_keys.remove(data__references__public_key)
                                if not isinstance(data__references__public_val, (str)):
                                    raise JsonSchemaValueException("not valid; tide.validate says why")
                                if isinstance(data__references__public_val, str):
                                    if not REGEX_PATTERNS['^https?://[^\\s]+$'].search(data__references__public_val):
                                        raise JsonSchemaValueException("not valid; tide.validate says why")
                        if data__references__public_keys:
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                if "internal" in data__references_keys:
                    data__references_keys.remove("internal")
                    data__references__internal = data__references["internal"]
                    if not isinstance(data__references__internal, (dict)):
                        raise JsonSchemaValueException("not valid; tide.validate says why")
                    data__references__internal_is_dict = isinstance(data__references__internal, dict)
                    if data__references__internal_is_dict:
                        data__references__internal_keys = set(data__references__internal.keys())
                        for data__references__internal_key, data__references__internal_val in data__references__internal.items():
                            if REGEX_PATTERNS['^[a-z]$'].search(data__references__internal_key):
                                if data__references__internal_key in data__references__internal_keys:
                                    data__references__internal_keys.remove(data__references__internal_key)
                                if not isinstance(data__references__internal_val, (str)):
                                    raise JsonSchemaValueException("not valid; tide.validate says why")
                                if isinstance(data__references__internal_val, str):
                                    if not REGEX_PATTERNS['^https?://[^\\s]+$'].search(data__references__internal_val):
                                        raise JsonSchemaValueException("not valid; tide.validate says why")
                        if data__references__internal_keys:
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                if data__references_keys:
                    raise JsonSchemaValueException("not valid; tide.validate says why")
        if "metadata" in data_keys:
            data_keys.remove("metadata")
            data__metadata = data["metadata"]
            if not isinstance(data__metadata, (dict)):
                raise JsonSchemaValueException("not valid; tide.validate says why")
            data__metadata_any_of_count2 = 0
            if not data__metadata_any_of_count2:
                try:
                    data__metadata_is_dict = isinstance(data__metadata, dict)
                    if data__metadata_is_dict:
                        data__metadata__missing_keys = set(['author']) - data__metadata.keys()
                        if data__metadata__missing_keys:
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                    data__metadata_any_of_count2 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__metadata_any_of_count2:
                try:
                    data__metadata_is_dict = isinstance(data__metadata, dict)
                    if data__metadata_is_dict:
                        data__metadata__missing_keys = set(['organisation']) - data__metadata.keys()
                        if data__metadata__missing_keys:
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                    data__metadata_any_of_count2 += 1
                except (JsonSchemaValueException, JsonSchemaValuesException): pass
            if not data__metadata_any_of_count2:
                raise JsonSchemaValueException("not valid; tide.validate says why")
            data__metadata_is_dict = isinstance(data__metadata, dict)
            if data__metadata_is_dict:
                data__metadata__missing_keys = set(['uuid', 'schema', 'version', 'tlp', 'created', 'modified']) - data__metadata.keys()
                if data__metadata__missing_keys:
                    raise JsonSchemaValueException("not valid; tide.validate says why")
                data__metadata_keys = set(data__metadata.keys())
                if "uuid" in data__metadata_keys:
                    data__metadata_keys.remove("uuid")
                    data__metadata__uuid = data__metadata["uuid"]
                    if not isinstance(data__metadata__uuid, (str)):
                        raise JsonSchemaValueException("not valid; tide.validate says why")
                    if isinstance(data__metadata__uuid, str):
                        if not REGEX_PATTERNS['^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'].search(data__metadata__uuid):
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                if "schema" in data__metadata_keys:
                    data__metadata_keys.remove("schema")
                    data__metadata__schema = data__metadata["schema"]
                    if not (isinstance(data__metadata__schema, str) and data__metadata__schema == 'tvm::2.1'):
                        raise JsonSchemaValueException("not valid; tide.validate says why")
                if "version" in data__metadata_keys:
                    data__metadata_keys.remove("version")
                    data__metadata__version = data__metadata["version"]
                    if not isinstance(data__metadata__version, (int)) and not (isinstance(data__metadata__version, float) and data__metadata__version.is_integer()) or isinstance(data__metadata__version, bool):
                        raise JsonSchemaValueException("not valid; tide.validate says why")
                    if isinstance(data__metadata__version, (int, float, Decimal)) and not isinstance(data__metadata__version, bool):
                        if data__metadata__version < 1:
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                if "created" in data__metadata_keys:
                    data__metadata_keys.remove("created")
                    data__metadata__created = data__metadata["created"]
                    if not isinstance(data__metadata__created, (str)):
                        raise JsonSchemaValueException("not valid; tide.validate says why")
                    if isinstance(data__metadata__created, str):
                        if not REGEX_PATTERNS['^[0-9]{4}-[0-9]{2}-[0-9]{2}$'].search(data__metadata__created):
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                if "modified" in data__metadata_keys:
                    data__metadata_keys.remove("modified")
                    data__metadata__modified = data__metadata["modified"]
                    if not isinstance(data__metadata__modified, (str)):
                        raise JsonSchemaValueException("not valid; tide.validate says why")
                    if isinstance(data__metadata__modified, str):
                        if not REGEX_PATTERNS['^[0-9]{4}-[0-9]{2}-[0-9]{2}$'].search(data__metadata__modified):
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                if "tlp" in data__metadata_keys:
                    data__metadata_keys.remove("tlp")
                    data__metadata__tlp = data__metadata["tlp"]
                    if not isinstance(data__metadata__tlp, (str)):
                        raise JsonSchemaValueException("not valid; tide.validate says why")
                    if isinstance(data__metadata__tlp, str):
                        data__metadata__tlp_len = len(data__metadata__tlp)
                        if data__metadata__tlp_len < 1:
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                        if not custom_formats["vocabulary-tlp"](data__metadata__tlp):
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                if "classification" in data__metadata_keys:
                    data__metadata_keys.remove("classification")
                    data__metadata__classification = data__metadata["classification"]
                    if not isinstance(data__metadata__classification, (str)):
                        raise JsonSchemaValueException("not valid; tide.validate says why")
                    if isinstance(data__metadata__classification, str):
                        data__metadata__classification_len = len(data__metadata__classification)
                        if data__metadata__classification_len < 1:
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                        if not custom_formats["vocabulary-classification"](data__metadata__classification):
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                if "author" in data__metadata_keys:
                    data__metadata_keys.remove("author")
                    data__metadata__author = data__metadata["author"]
                    if not isinstance(data__metadata__author, (str)):
                        raise JsonSchemaValueException("not valid; tide.validate says why")
                    if isinstance(data__metadata__author, str):
                        data__metadata__author_len = len(data__metadata__author)
                        if data__metadata__author_len < 1:
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                if "contributors" in data__metadata_keys:
                    data__metadata_keys.remove("contributors")
                    data__metadata__contributors = data__metadata["contributors"]
                    if not isinstance(data__metadata__contributors, (list, tuple)):
                        raise JsonSchemaValueException("not valid; tide.validate says why")
                    data__metadata__contributors_is_list = isinstance(data__metadata__contributors, (list, tuple))
                    if data__metadata__contributors_is_list:
                        data__metadata__contributors_len = len(data__metadata__contributors)
                        for data__metadata__contributors_x, data__metadata__contributors_item in enumerate(data__metadata__contributors):
                            if not isinstance(data__metadata__contributors_item, (str)):
                                raise JsonSchemaValueException("not valid; tide.validate says why")
                            if isinstance(data__metadata__contributors_item, str):
                                data__metadata__contributors_item_len = len(data__metadata__contributors_item)
                                if data__metadata__contributors_item_len < 1:
                                    raise JsonSchemaValueException("not valid; tide.validate says why")
                if "organisation" in data__metadata_keys:
                    data__metadata_keys.remove("organisation")
                    data__metadata__organisation = data__metadata["organisation"]
                    if not isinstance(data__metadata__organisation, (dict)):
                        raise JsonSchemaValueException("not valid; tide.validate says why")
                    data__metadata__organisation_is_dict = isinstance(data__metadata__organisation, dict)
                    if data__metadata__organisation_is_dict:
                        data__metadata__organisation__missing_keys = set(['uuid', 'name']) - data__metadata__organisation.keys()
                        if data__metadata__organisation__missing_keys:
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                        data__metadata__organisation_keys = set(data__metadata__organisation.keys())
                        if "uuid" in data__metadata__organisation_keys:
                            data__metadata__organisation_keys.remove("uuid")
                            data__metadata__organisation__uuid = data__metadata__organisation["uuid"]
                            if not isinstance(data__metadata__organisation__uuid, (str)):
                                raise JsonSchemaValueException("not valid; tide.validate says why")
                            if isinstance(data__metadata__organisation__uuid, str):
                                if not REGEX_PATTERNS['^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'].search(data__metadata__organisation__uuid):
                                    raise JsonSchemaValueException("not valid; tide.validate says why")
                        if "name" in data__metadata__organisation_keys:
                            data__metadata__organisation_keys.remove("name")
                            data__metadata__organisation__name = data__metadata__organisation["name"]
                            if not isinstance(data__metadata__organisation__name, (str)):
                                raise JsonSchemaValueException("not valid; tide.validate says why")
                            if isinstance(data__metadata__organisation__name, str):
                                data__metadata__organisation__name_len = len(data__metadata__organisation__name)
                                if data__metadata__organisation__name_len < 1:
                                    raise JsonSchemaValueException("not valid; tide.validate says why")
                        if data__metadata__organisation_keys:
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                if data__metadata_keys:
                    raise JsonSchemaValueException("not valid; tide.validate says why")
        if "threat" in data_keys:
            data_keys.remove("threat")
            data__threat = data["threat"]
            if not isinstance(data__threat, (dict)):
                raise JsonSchemaValueException("not valid; tide.validate says why")
            data__threat_is_dict = isinstance(data__threat, dict)
            if data__threat_is_dict:
                data__threat__missing_keys = set(['att&ck', 'terrain', 'domains', 'targets', 'platforms', 'severity', 'leverage', 'impact', 'viability', 'description']) - data__threat.keys()
                if data__threat__missing_keys:
                    raise JsonSchemaValueException("not valid; tide.validate says why")
                data__threat_keys = set(data__threat.keys())
                if "actors" in data__threat_keys:
                    data__threat_keys.remove("actors")
                    data__threat__actors = data__threat["actors"]
                    if not isinstance(data__threat__actors, (list, tuple)):
                        raise JsonSchemaValueException("not valid; tide.validate says why")
                    data__threat__actors_is_list = isinstance(data__threat__actors, (list, tuple))
                    if data__threat__actors_is_list:
                        data__threat__actors_len = len(data__threat__actors)
                        for data__threat__actors_x, data__threat__actors_item in enumerate(data__threat__actors):
                            if not isinstance(data__threat__actors_item, (dict)):
                                raise JsonSchemaValueException("not valid; tide.validate says why")
                            data__threat__actors_item_is_dict = isinstance(data__threat__actors_item, dict)
                            if data__threat__actors_item_is_dict:
                                data__threat__actors_item__missing_keys = set(['name']) - data__threat__actors_item.keys()
                                if data__threat__actors_item__missing_keys:
                                    raise JsonSchemaValueException("not valid; tide.validate says why")
                                data__threat__actors_item_keys = set(data__threat__actors_item.keys())
                                if "name" in data__threat__actors_item_keys:
                                    data__threat__actors_item_keys.remove("name")
                                    data__threat__actors_item__name = data__threat__actors_item["name"]
                                    if not isinstance(data__threat__actors_item__name, (str)):
                                        raise JsonSchemaValueException("not valid; tide.validate says why")
                                    if isinstance(data__threat__actors_item__name, str):
                                        if not custom_formats["vocabulary-actors"](data__threat__actors_item__name):
                                            raise JsonSchemaValueException("not valid; tide.validate says why")
                                if "sighting" in data__threat__actors_item_keys:
                                    data__threat__actors_item_keys.remove("sighting")
                                    data__threat__actors_item__sighting = data__threat__actors_item["sighting"]
                                    if not isinstance(data__threat__actors_item__sighting, (str)):
                                        raise JsonSchemaValueException("not valid; tide.validate says why")
                                if "references" in data__threat__actors_item_keys:
                                    data__threat__actors_item_keys.remove("references")
                                    data__threat__actors_item__references = data__threat__actors_item["references"]
                                    if not isinstance(data__threat__actors_item__references, (list, tuple)):
                                        raise JsonSchemaValueException("not valid; tide.validate says why")
                                    data__threat__actors_item__references_is_list = isinstance(data__threat__actors_item__references, (list, tuple))
                                    if data__threat__actors_item__references_is_list:
                                        data__threat__actors_item__references_len = len(data__threat__actors_item__references)
                                        for data__threat__actors_item__references_x, data__threat__actors_item__references_item in enumerate(data__threat__actors_item__references):
                                            if not isinstance(data__threat__actors_item__references_item, (str)):
                                                raise JsonSchemaValueException("not valid; tide.validate says why")
                                            if isinstance(data__threat__actors_item__references_item, str):
                                                if not REGEX_PATTERNS['^https?://[^\\s]+$'].search(data__threat__actors_item__references_item):
                                                    raise JsonSchemaValueException("not valid; tide.validate says why")
                                if data__threat__actors_item_keys:
                                    raise JsonSchemaValueException("not valid; tide.validate says why")
                if "killchain" in data__threat_keys:
                    data__threat_keys.remove("killchain")
                    data__threat__killchain = data__threat["killchain"]
                    data__threat__killchain_one_of_count3 = 0
                    if data__threat__killchain_one_of_count3 < 2:
                        try:
                            if not isinstance(data__threat__killchain, (str)):
                                raise JsonSchemaValueException("not valid; tide.validate says why")
                            if isinstance(data__threat__killchain, str):
                                data__threat__killchain_len = len(data__threat__killchain)
                                if data__threat__killchain_len < 1:
                                    raise JsonSchemaValueException("not valid; tide.validate says why")
                                if not custom_formats["vocabulary-killchain"](data__threat__killchain):
                                    raise JsonSchemaValueException("not valid; tide.validate says why")
                            data__threat__killchain_one_of_count3 += 1
                        except (JsonSchemaValueException, JsonSchemaValuesException): pass
                    if data__threat__killchain_one_of_count3 < 2:
                        try:
                            if not isinstance(data__threat__killchain, (list, tuple)):
                                raise JsonSchemaValueException("not valid; tide.validate says why")
                            data__threat__killchain_is_list = isinstance(data__threat__killchain, (list, tuple))
                            if data__threat__killchain_is_list:
                                data__threat__killchain_len = len(data__threat__killchain)
                                if data__threat__killchain_len < 1:
                                    raise JsonSchemaValueException("not valid; tide.validate says why")
                                def fn(var): return frozenset(dict((k, fn(v)) for k, v in var.items()).items()) if hasattr(var, "items") else tuple(fn(v) for v in var) if isinstance(var, (dict, list)) else (bool, var) if isinstance(var, bool) else var
                                if data__threat__killchain_len > len(set(fn(data__threat__killchain_x) for data__threat__killchain_x in data__threat__killchain)):
                                    raise JsonSchemaValueException("not valid; tide.validate says why")
                                for data__threat__killchain_x, data__threat__killchain_item in enumerate(data__threat__killchain):
                                    if not isinstance(data__threat__killchain_item, (str)):
                                        raise JsonSchemaValueException("not valid; tide.validate says why")
                                    if isinstance(data__threat__killchain_item, str):
                                        if not custom_formats["vocabulary-killchain"](data__threat__killchain_item):
                                            raise JsonSchemaValueException("not valid; tide.validate says why")
                            data__threat__killchain_one_of_count3 += 1
                        except (JsonSchemaValueException, JsonSchemaValuesException): pass
                    if data__threat__killchain_one_of_count3 != 1:
                        raise JsonSchemaValueException("not valid; tide.validate says why")
                if "att&ck" in data__threat_keys:
                    data__threat_keys.remove("att&ck")
                    data__threat__attck = data__threat["att&ck"]
                    if not isinstance(data__threat__attck, (list, tuple)):
                        raise JsonSchemaValueException("not valid; tide.validate says why")
                    data__threat__attck_is_list = isinstance(data__threat__attck, (list, tuple))
                    if data__threat__attck_is_list:
                        data__threat__attck_len = len(data__threat__attck)
                        if data__threat__attck_len < 1:
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                        def fn(var): return frozenset(dict((k, fn(v)) for k, v in var.items()).items()) if hasattr(var, "items") else tuple(fn(v) for v in var) if isinstance(var, (dict, list)) else (bool, var) if isinstance(var, bool) else var
                        if data__threat__attck_len > len(set(fn(data__threat__attck_x) for data__threat__attck_x in data__threat__attck)):
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                        for data__threat__attck_x, data__threat__attck_item in enumerate(data__threat__attck):
                            if not isinstance(data__threat__attck_item, (str)):
                                raise JsonSchemaValueException("not valid; tide.validate says why")
                            if isinstance(data__threat__attck_item, str):
                                if not REGEX_PATTERNS['^T[0-9]{4}(\\.[0-9]{3})?$'].search(data__threat__attck_item):
                                    raise JsonSchemaValueException("not valid; tide.validate says why")
                if "chaining" in data__threat_keys:
                    data__threat_keys.remove("chaining")
                    data__threat__chaining = data__threat["chaining"]
                    if not isinstance(data__threat__chaining, (list, tuple)):
                        raise JsonSchemaValueException("not valid; tide.validate says why")
                    data__threat__chaining_is_list = isinstance(data__threat__chaining, (list, tuple))
                    if data__threat__chaining_is_list:
                        data__threat__chaining_len = len(data__threat__chaining)
                        for data__threat__chaining_x, data__threat__chaining_item in enumerate(data__threat__chaining):
                            if not isinstance(data__threat__chaining_item, (dict)):
                                raise JsonSchemaValueException("not valid; tide.validate says why")
                            data__threat__chaining_item_is_dict = isinstance(data__threat__chaining_item, dict)
                            if data__threat__chaining_item_is_dict:
                                data__threat__chaining_item__missing_keys = set(['relation', 'vector', 'description']) - data__threat__chaining_item.keys()
                                if data__threat__chaining_item__missing_keys:
                                    raise JsonSchemaValueException("not valid; tide.validate says why")
                                data__threat__chaining_item_keys = set(data__threat__chaining_item.keys())
                                if "relation" in data__threat__chaining_item_keys:
                                    data__threat__chaining_item_keys.remove("relation")
                                    data__threat__chaining_item__relation = data__threat__chaining_item["relation"]
                                    if not isinstance(data__threat__chaining_item__relation, (str)):
                                        raise JsonSchemaValueException("not valid; tide.validate says why")
                                    if isinstance(data__threat__chaining_item__relation, str):
                                        if not custom_formats["vocabulary-chaining"](data__threat__chaining_item__relation):
                                            raise JsonSchemaValueException("not valid; tide.validate says why")
                                if "vector" in data__threat__chaining_item_keys:
                                    data__threat__chaining_item_keys.remove("vector")
                                    data__threat__chaining_item__vector = data__threat__chaining_item["vector"]
                                    if not isinstance(data__threat__chaining_item__vector, (str)):
                                        raise JsonSchemaValueException("not valid; tide.validate says why")
                                    if isinstance(data__threat__chaining_item__vector, str):
                                        if not REGEX_PATTERNS['^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$'].search(data__threat__chaining_item__vector):
                                            raise JsonSchemaValueException("not valid; tide.validate says why")
                                if "description" in data__threat__chaining_item_keys:
                                    data__threat__chaining_item_keys.remove("description")
                                    data__threat__chaining_item__description = data__threat__chaining_item["description"]
                                    if not isinstance(data__threat__chaining_item__description, (str)):
                                        raise JsonSchemaValueException("not valid; tide.validate says why")
                                if data__threat__chaining_item_keys:
                                    raise JsonSchemaValueException("not valid; tide.validate says why")
                if "cve" in data__threat_keys:
                    data__threat_keys.remove("cve")
                    data__threat__cve = data__threat["cve"]
                    if not isinstance(data__threat__cve, (list, tuple)):
                        raise JsonSchemaValueException("not valid; tide.validate says why")
                    data__threat__cve_is_list = isinstance(data__threat__cve, (list, tuple))
                    if data__threat__cve_is_list:
                        def fn(var): return frozenset(dict((k, fn(v)) for k, v in var.items()).items()) if hasattr(var, "items") else tuple(fn(v) for v in var) if isinstance(var, (dict, list)) else (bool, var) if isinstance(var, bool) else var
                        data__threat__cve_len = len(data__threat__cve)
                        if data__threat__cve_len > len(set(fn(data__threat__cve_x) for data__threat__cve_x in data__threat__cve)):
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                        for data__threat__cve_x, data__threat__cve_item in enumerate(data__threat__cve):
                            if not isinstance(data__threat__cve_item, (str)):
                                raise JsonSchemaValueException("not valid; tide.validate says why")
                            if isinstance(data__threat__cve_item, str):
                                if not REGEX_PATTERNS['^CVE-(1999|2[0-9]{3})-(0[0-9]{2}[0-9]|[1-9][0-9]{3,})$'].search(data__threat__cve_item):
                                    raise JsonSchemaValueException("not valid; tide.validate says why")
                if "misp" in data__threat_keys:
                    data__threat_keys.remove("misp")
                    data__threat__misp = data__threat["misp"]
                    if not isinstance(data__threat__misp, (list, tuple)):
                        raise JsonSchemaValueException("not valid; tide.validate says why")
                    data__threat__misp_is_list = isinstance(data__threat__misp, (list, tuple))
                    if data__threat__misp_is_list:
                        def fn(var): return frozenset(dict((k, fn(v)) for k, v in var.items()).items()) if hasattr(var, "items") else tuple(fn(v) for v in var) if isinstance(var, (dict, list)) else (bool, var) if isinstance(var, bool) else var
                        data__threat__misp_len = len(data__threat__misp)
                        if data__threat__misp_len > len(set(fn(data__threat__misp_x) for data__threat__misp_x in data__threat__misp)):
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                        for data__threat__misp_x, data__threat__misp_item in enumerate(data__threat__misp):
                            if not isinstance(data__threat__misp_item, (str)):
                                raise JsonSchemaValueException("not valid; tide.validate says why")
                            if isinstance(data__threat__misp_item, str):
                                if not REGEX_PATTERNS['^[a-fA-F0-9]{8}(-[a-fA-F0-9]{4}){3}-[a-fA-F0-9]{12}$'].search(data__threat__misp_item):
                                    raise JsonSchemaValueException("not valid; tide.validate says why")
                if "domains" in data__threat_keys:
                    data__threat_keys.remove("domains")
                    data__threat__domains = data__threat["domains"]
                    if not isinstance(data__threat__domains, (list, tuple)):
                        raise JsonSchemaValueException("not valid; tide.validate says why")
                    data__threat__domains_is_list = isinstance(data__threat__domains, (list, tuple))
                    if data__threat__domains_is_list:
                        data__threat__domains_len = len(data__threat__domains)
                        if data__threat__domains_len < 1:
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                        def fn(var): return frozenset(dict((k, fn(v)) for k, v in var.items()).items()) if hasattr(var, "items") else tuple(fn(v) for v in var) if isinstance(var, (dict, list)) else (bool, var) if isinstance(var, bool) else var
                        if data__threat__domains_len > len(set(fn(data__threat__domains_x) for data__threat__domains_x in data__threat__domains)):
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                        for data__threat__domains_x, data__threat__domains_item in enumerate(data__threat__domains):
                            if not isinstance(data__threat__domains_item, (str)):
                                raise JsonSchemaValueException("not valid; tide.validate says why")
                            if isinstance(data__threat__domains_item, str):
                                data__threat__domains_item_len = len(data__threat__domains_item)
                                if data__threat__domains_item_len < 1:
                                    raise JsonSchemaValueException("not valid; tide.validate says why")
                                if not custom_formats["vocabulary-domains"](data__threat__domains_item):
                                    raise JsonSchemaValueException("not valid; tide.validate says why")
                if "terrain" in data__threat_keys:
                    data__threat_keys.remove("terrain")
                    data__threat__terrain = data__threat["terrain"]
                    if not isinstance(data__threat__terrain, (str)):
                        raise JsonSchemaValueException("not valid; tide.validate says why")
                if "targets" in data__threat_keys:
                    data__threat_keys.remove("targets")
                    data__threat__targets = data__threat["targets"]
                    if not isinstance(data__threat__targets, (list, tuple)):
                        raise JsonSchemaValueException("not valid; tide.validate says why")
                    data__threat__targets_is_list = isinstance(data__threat__targets, (list, tuple))
                    if data__threat__targets_is_list:
                        data__threat__targets_len = len(data__threat__targets)
                        if data__threat__targets_len < 1:
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                        def fn(var): return frozenset(dict((k, fn(v)) for k, v in var.items()).items()) if hasattr(var, "items") else tuple(fn(v) for v in var) if isinstance(var, (dict, list)) else (bool, var) if isinstance(var, bool) else var
                        if data__threat__targets_len > len(set(fn(data__threat__targets_x) for data__threat__targets_x in data__threat__targets)):
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                        for data__threat__targets_x, data__threat__targets_item in enumerate(data__threat__targets):
                            if not isinstance(data__threat__targets_item, (str)):
                                raise JsonSchemaValueException("not valid; tide.validate says why")
                            if isinstance(data__threat__targets_item, str):
                                data__threat__targets_item_len = len(data__threat__targets_item)
                                if data__threat__targets_item_len < 1:
                                    raise JsonSchemaValueException("not valid; tide.validate says why")
                                if not custom_formats["vocabulary-targets"](data__threat__targets_item):
                                    raise JsonSchemaValueException("not valid; tide.validate says why")
                if "platforms" in data__threat_keys:
                    data__threat_keys.remove("platforms")
                    data__threat__platforms = data__threat["platforms"]
                    if not isinstance(data__threat__platforms, (list, tuple)):
                        raise JsonSchemaValueException("not valid; tide.validate says why")
                    data__threat__platforms_is_list = isinstance(data__threat__platforms, (list, tuple))
                    if data__threat__platforms_is_list:
                        data__threat__platforms_len = len(data__threat__platforms)
                        if data__threat__platforms_len < 1:
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                        def fn(var): return frozenset(dict((k, fn(v)) for k, v in var.items()).items()) if hasattr(var, "items") else tuple(fn(v) for v in var) if isinstance(var, (dict, list)) else (bool, var) if isinstance(var, bool) else var
                        if data__threat__platforms_len > len(set(fn(data__threat__platforms_x) for data__threat__platforms_x in data__threat__platforms)):
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                        for data__threat__platforms_x, data__threat__platforms_item in enumerate(data__threat__platforms):
                            if not isinstance(data__threat__platforms_item, (str)):
                                raise JsonSchemaValueException("not valid; tide.validate says why")
                            if isinstance(data__threat__platforms_item, str):
                                data__threat__platforms_item_len = len(data__threat__platforms_item)
                                if data__threat__platforms_item_len < 1:
                                    raise JsonSchemaValueException("not valid; tide.validate says why")
                                if not custom_formats["vocabulary-platforms"](data__threat__platforms_item):
                                    raise JsonSchemaValueException("not valid; tide.validate says why")
                if "severity" in data__threat_keys:
                    data__threat_keys.remove("severity")
                    data__threat__severity = data__threat["severity"]
                    if not isinstance(data__threat__severity, (str)):
                        raise JsonSchemaValueException("not valid; tide.validate says why")
                    if isinstance(data__threat__severity, str):
                        data__threat__severity_len = len(data__threat__severity)
                        if data__threat__severity_len < 1:
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                        if not custom_formats["vocabulary-severity"](data__threat__severity):
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                if "leverage" in data__threat_keys:
                    data__threat_keys.remove("leverage")
                    data__threat__leverage = data__threat["leverage"]
                    if not isinstance(data__threat__leverage, (list, tuple)):
                        raise JsonSchemaValueException("not valid; tide.validate says why")
                    data__threat__leverage_is_list = isinstance(data__threat__leverage, (list, tuple))
                    if data__threat__leverage_is_list:
                        data__threat__leverage_len = len(data__threat__leverage)
                        if data__threat__leverage_len < 1:
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                        def fn(var): return frozenset(dict((k, fn(v)) for k, v in var.items()).items()) if hasattr(var, "items") else tuple(fn(v) for v in var) if isinstance(var, (dict, list)) else (bool, var) if isinstance(var, bool) else var
                        if data__threat__leverage_len > len(set(fn(data__threat__leverage_x) for data__threat__leverage_x in data__threat__leverage)):
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                        for data__threat__leverage_x, data__threat__leverage_item in enumerate(data__threat__leverage):
                            if not isinstance(data__threat__leverage_item, (str)):
                                raise JsonSchemaValueException("not valid; tide.validate says why")
                            if isinstance(data__threat__leverage_item, str):
                                data__threat__leverage_item_len = len(data__threat__leverage_item)
                                if data__threat__leverage_item_len < 1:
                                    raise JsonSchemaValueException("not valid; tide.validate says why")
                                if not custom_formats["vocabulary-leverage"](data__threat__leverage_item):
                                    raise JsonSchemaValueException("not valid; tide.validate says why")
                if "impact" in data__threat_keys:
                    data__threat_keys.remove("impact")
                    data__threat__impact = data__threat["impact"]
                    if not isinstance(data__threat__impact, (list, tuple)):
                        raise JsonSchemaValueException("not valid; tide.validate says why")
                    data__threat__impact_is_list = isinstance(data__threat__impact, (list, tuple))
                    if data__threat__impact_is_list:
                        data__threat__impact_len = len(data__threat__impact)
                        if data__threat__impact_len < 1:
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                        def fn(var): return frozenset(dict((k, fn(v)) for k, v in var.items()).items()) if hasattr(var, "items") else tuple(fn(v) for v in var) if isinstance(var, (dict, list)) else (bool, var) if isinstance(var, bool) else var
                        if data__threat__impact_len > len(set(fn(data__threat__impact_x) for data__threat__impact_x in data__threat__impact)):
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                        for data__threat__impact_x, data__threat__impact_item in enumerate(data__threat__impact):
                            if not isinstance(data__threat__impact_item, (str)):
                                raise JsonSchemaValueException("not valid; tide.validate says why")
                            if isinstance(data__threat__impact_item, str):
                                data__threat__impact_item_len = len(data__threat__impact_item)
                                if data__threat__impact_item_len < 1:
                                    raise JsonSchemaValueException("not valid; tide.validate says why")
                                if not custom_formats["vocabulary-impact"](data__threat__impact_item):
                                    raise JsonSchemaValueException("not valid; tide.validate says why")
                if "viability" in data__threat_keys:
                    data__threat_keys.remove("viability")
                    data__threat__viability = data__threat["viability"]
                    if not isinstance(data__threat__viability, (str)):
                        raise JsonSchemaValueException("not valid; tide.validate says why")
                    if isinstance(data__threat__viability, str):
                        data__threat__viability_len = len(data__threat__viability)
                        if data__threat__viability_len < 1:
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                        if not custom_formats["vocabulary-viability"](data__threat__viability):
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                if "description" in data__threat_keys:
                    data__threat_keys.remove("description")
                    data__threat__description = data__threat["description"]
                    if not isinstance(data__threat__description, (str)):
                        raise JsonSchemaValueException("not valid; tide.validate says why")
                    if isinstance(data__threat__description, str):
                        data__threat__description_len = len(data__threat__description)
                        if data__threat__description_len < 1:
                            raise JsonSchemaValueException("not valid; tide.validate says why")
                if data__threat_keys:
                    raise JsonSchemaValueException("not valid; tide.validate says why")
        if data_keys:
            raise JsonSchemaValueException("not valid; tide.validate says why")
    return data
