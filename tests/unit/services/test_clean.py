import pytest

from newsflow_clean.normalize import decode, detect_format, normalize_whitespace, repair
from newsflow_clean.stage import CleanStage
from newsflow_shared.models import RawDocument
from newsflow_shared.stage import Rejected

ENGLISH = "The foreign ministers discussed the military buildup near the border on Friday."


def raw(doc_id, content: bytes, content_type="text/plain", charset=None):
    return RawDocument(doc_id=doc_id, source=doc_id, content=content, content_type=content_type, charset=charset)


def test_mojibake_is_repaired_and_text_is_nfc():
    assert repair("donâ€™t") == "don’t"
    assert repair("cafe\u0301") == "café"


def test_declared_and_detected_encodings():
    assert decode("café".encode("latin-1"), "latin-1") == "café"
    assert decode("\ufeffhello".encode("utf-8"), None) == "hello"
    assert decode("привет мир, это текст".encode("cp1251"), None) == "привет мир, это текст"


def test_binary_and_empty_input_are_rejected_with_reasons():
    with pytest.raises(Rejected, match=r"NUL|control") as binary:
        CleanStage().process(raw("b", bytes(range(256)) * 20, content_type=None))
    assert binary.value.reason == "binary_content"
    with pytest.raises(Rejected) as empty:
        CleanStage().process(raw("e", b""))
    assert empty.value.reason == "empty_document"


def test_whitespace_is_normalized_for_text_but_html_is_left_alone():
    assert normalize_whitespace("a \t b\u00a0c\r\n\r\n\r\n\nd  ", "text") == "a b c\n\nd"
    assert normalize_whitespace("<pre>a  b</pre>\r\n", "html") == "<pre>a  b</pre>"


def test_format_is_sniffed_when_undeclared():
    assert detect_format("<!DOCTYPE html><html><body>x</body></html>", None) == "html"
    assert detect_format("Just a line of text.", None) == "text"
    assert detect_format("<p>declared</p>", "text/html; charset=utf-8") == "html"


def test_language_is_detected():
    doc = CleanStage().process(raw("en", ENGLISH.encode()))
    assert (doc.language, doc.format) == ("en", "text")


def test_mojibake_inside_a_very_long_line_is_fixed_and_nothing_else_moves():
    broken = "Café résumé".encode().decode("latin-1")
    line = "<style>" + "a{color:red};" * 2000 + f"</style><p>{broken}</p>" + "<i>x</i>" * 2000
    repaired = repair(line + "\nplain ascii line\n")
    assert "Café résumé" in repaired and broken not in repaired
    assert repaired.endswith("plain ascii line\n") and repaired.count("a{color:red};") == 2000


def test_each_line_with_mojibake_is_fixed_where_it_is_and_sound_accented_lines_are_left_alone():
    broken = "é".encode().decode("latin-1")  # "Ã©": its suspect character first on a line, then last
    lines = ["plain", f"{broken}tude", "naïve, déjà vu", f"fin{broken}", "Ωμέγα ÿ"]
    repaired = repair("\n".join(lines)).split("\n")
    assert repaired == ["plain", "étude", "naïve, déjà vu", "finé", "Ωμέγα ÿ"]
