"""DragDL's web app: `streamlit run app/main.py`. Navigation over the page files in the top-level pages/."""
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run app/main.py` puts app/ on the path, not the checkout
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from app import style  # noqa: E402
from app.navigation import all_pages  # noqa: E402
from app.session import account_sidebar, current_actor  # noqa: E402
from dragdl_core import sandbox  # noqa: E402
from dragdl_core.classroom import class_config  # noqa: E402

st.set_page_config(page_title=class_config.current().name, page_icon=":material/account_tree:", layout="wide")
sandbox.warm()  # pre-started children for Lambda trials, previews and predictions (a no-op once they run)
actor = current_actor()  # the sign-in form until someone is signed in (none in single-user mode)
current = st.navigation(all_pages(actor))
st.set_page_config(page_title=f"{current.title} · {class_config.current().name}")  # a title per page
style.inject()
account_sidebar(actor)
current.run()
