"""Citations made readable and one-sentence summaries."""

from tide.attack.text import clean_description, plain_text, summary


def test_citations_are_removed_with_their_blanks() -> None:
    text = "Logs stop.(Citation: AWS Update Trail) Then (Citation: Foo (2020))  more.(Citation: A)(Citation: B)"
    assert clean_description(text) == "Logs stop. Then more."


def test_attack_links_stay_markdown_in_descriptions() -> None:
    text = "Use [Phishing](https://attack.mitre.org/techniques/T1566).(Citation: X)\r\n\r\n\r\nNext."
    assert clean_description(text) == "Use [Phishing](https://attack.mitre.org/techniques/T1566).\n\nNext."


def test_plain_text_drops_link_syntax_tags_and_emphasis() -> None:
    text = "**Run** <code>cmd.exe</code> via [Command Shell](https://attack.mitre.org/techniques/T1059/003)."
    assert plain_text(text) == "Run cmd.exe via Command Shell."


def test_summary_is_the_first_sentence_without_its_full_stop() -> None:
    text = ("An adversary may disable or modify cloud logging capabilities and integrations to limit what "
            "data is collected on their activities and avoid detection. Cloud environments allow more.")
    assert summary(text) == ("An adversary may disable or modify cloud logging capabilities and integrations "
                             "to limit what data is collected on their activities and avoid detection")


def test_summary_does_not_stop_at_abbreviations_or_file_names() -> None:
    assert summary("Adversaries may use e.g. PowerShell or cmd.exe to run code. Next one.") == (
        "Adversaries may use e.g. PowerShell or cmd.exe to run code")
    assert summary("Spoof attributes like language, time zone, etc. The header is next.") == (
        "Spoof attributes like language, time zone, etc")


def test_summary_keeps_question_marks_and_cuts_long_text_at_a_word() -> None:
    assert summary("Is this a sentence? Yes.") == "Is this a sentence?"
    long = "word " * 100
    cut = summary(long)
    assert cut.endswith("…") and len(cut) <= 301
    assert cut[:-1].split(" ") == ["word"] * len(cut[:-1].split(" "))


def test_summary_of_a_citation_only_sentence_is_clean() -> None:
    assert summary("Blocks messages.(Citation: Zhu 2011) Other.") == "Blocks messages"
