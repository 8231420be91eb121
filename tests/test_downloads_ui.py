"""The model's download buttons on Monitor, Models and Predict (AppTest, the real pages): a zip that runs
anywhere and the ONNX file; clicking makes the file once, under the run's export/ folder."""
import zipfile

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from dragdl_core import config
from ui_fixtures import RUN_ID, finished_task, trained_run  # noqa: F401  (fixtures)

pytestmark = pytest.mark.timeout(300)


def open_page(page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app" / "main.py"), default_timeout=120)
    at.run()
    at.switch_page(f"../pages/{page}.py").run()
    assert not at.exception, at.exception
    return at


@pytest.mark.parametrize("page", ["monitor", "models", "predict"])
def test_each_page_offers_the_zip_and_the_onnx_file(finished_task, page):
    labels = [b.label for b in open_page(page).get("download_button")]
    assert "Download model (zip, runs anywhere)" in labels and "Download ONNX" in labels


def test_the_download_is_the_exported_zip(finished_task):
    from app.downloads import _maker

    run_dir = next(config.home().glob(f"runs/*/{RUN_ID}"))
    data = _maker(run_dir, "zip")()
    path = run_dir / "export" / "model.zip"
    assert path.read_bytes() == data
    assert {"model.onnx", "predict.py", "preprocess.json"} <= set(zipfile.ZipFile(path).namelist())
