"""The bureau's workbook as LibreOffice prints it (issue 15): one render to PDF, pages counted per sheet.

The workbook, its PDF and a PNG of the first and last page of every sheet are kept under
tests/artifacts/export-<backend>/ (git-ignored) for a person to look at. Each printed page names its sheet in
its footer (【村】), which is how pages are told apart. Needs Debian's libreoffice-calc-nogui.
"""

import re
import shutil
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from core.periods import SHANGHAI
from tests.conftest import ON_POSTGRES
from tests.stats.test_export import exports, shared_rows  # noqa: F401  (module-scoped fixtures)

SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not SOFFICE, reason="LibreOffice is not installed (Debian: libreoffice-calc-nogui); "
                                           "the print test renders the workbook with soffice --headless"),
]
# One folder per backend: the two suites of a run (or two runs side by side) must not remove each other's.
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / f"export-{'postgres' if ON_POSTGRES else 'sqlite'}"
# At most this many pages per sheet, for Baise's 12 counties, 135 townships and 1,897 villages. The
# writer before issue 15 printed 1, 2, 2, 6, 84 and 2 (97 pages, the wide tables split in two); this
# one prints 1, 1, 1, 4, 39 and 1.
MOST_PAGES = {"说明": 1, "目标": 1, "县区": 1, "乡镇": 5, "村": 42, "培训方式": 1, "选派类别": 1, "特派员考核": 1,
              "共享团队": 1}
TABLES = ("目标", "县区", "乡镇", "村", "培训方式", "选派类别", "特派员考核", "共享团队")
A4_LANDSCAPE = (842, 595)  # points


def _flat(text: str) -> str:
    """Text without the line breaks a wrapped header or a page layout puts into it."""
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def printed(exports, tmp_path_factory):  # noqa: F811
    """{sheet: [(page text, (width, height)), ...]} in print order, from one LibreOffice render."""
    import pypdfium2

    shutil.rmtree(ARTIFACTS, ignore_errors=True)
    ARTIFACTS.mkdir(parents=True)
    book = ARTIFACTS / "export.xlsx"
    book.write_bytes(exports["open"].content)
    # A private profile: parallel runs (and a desktop LibreOffice) must not share one.
    profile = tmp_path_factory.mktemp("soffice-profile").as_uri()
    subprocess.run([SOFFICE, f"-env:UserInstallation={profile}", "--headless", "--convert-to", "pdf",
                    "--outdir", str(ARTIFACTS), str(book)], check=True, capture_output=True, timeout=180)
    pdf = pypdfium2.PdfDocument(ARTIFACTS / "export.pdf")
    sheets: dict[str, list] = {}
    for index in range(len(pdf)):
        page = pdf[index]
        text = page.get_textpage().get_text_range()
        marker = re.search(r"【(.+?)】", text)
        sheets.setdefault(marker.group(1) if marker else "?", []).append((index, text, page.get_size()))
    for name, pages in sheets.items():
        for index, _, _ in {pages[0][0]: pages[0], pages[-1][0]: pages[-1]}.values():
            pdf[index].render(scale=1.5).to_pil().save(ARTIFACTS / f"page-{index + 1:03d}-{name}.png")
    pdf.close()
    return {name: [(text, size) for _, text, size in pages] for name, pages in sheets.items()}


def test_each_sheet_prints_on_a_sane_number_of_pages(printed):
    counts = {name: len(pages) for name, pages in printed.items()}
    assert set(counts) == set(MOST_PAGES)
    assert {name: min(n, MOST_PAGES[name]) for name, n in counts.items()} == counts


def test_every_page_is_a4_landscape(printed):
    sizes = {(round(w), round(h)) for pages in printed.values() for _, (w, h) in pages}
    assert sizes == {A4_LANDSCAPE}


def test_no_table_splits_its_columns_across_pages(printed, exports):  # noqa: F811
    # Every page repeats the whole header row, so every column is on every page.
    from tests.stats.test_export import _book

    book = _book(exports["open"])
    for name in TABLES:
        headers = [_flat(h) for h in next(book[name].iter_rows(min_row=3, max_row=3, values_only=True))]
        for number, (text, _) in enumerate(printed[name], start=1):
            missing = [h for h in headers if h not in _flat(text)]
            assert (name, number, missing) == (name, number, [])


def test_every_page_carries_the_title_with_the_period(printed):
    today = datetime.now(tz=SHANGHAI).date().isoformat()
    title = _flat(f"百色市科技特派员统计　统计区间：2021-01-01 至 {today}")
    assert all(title in _flat(text) for pages in printed.values() for text, _ in pages)


def test_every_table_of_figures_ends_with_its_total_on_its_last_page(printed):
    for name in ("县区", "乡镇", "村", "特派员考核"):
        last_page, _ = printed[name][-1]
        assert "合计" in last_page, name
