"""Page-wide styling Streamlit has no option for: a skip link, a visible keyboard focus, and the Build page's
canvas row stacked under its property panel on narrow screens (so the canvas keeps its width at 800 px)."""
from __future__ import annotations

import streamlit as st

NARROW_PX = 1100  # below this window width the canvas row stacks

CSS = f"""
<style>
a.skip-link {{ position: absolute; left: -9999px; }}
a.skip-link:focus {{ position: static; display: inline-block; padding: 4px 8px; background: #1976d2;
                    color: white; border-radius: 4px; }}
:focus-visible {{ outline: 3px solid #1976d2 !important; outline-offset: 2px; }}
/* a text, number or select field's own outline is clipped by its box (overflow: hidden): ring the box */
div:has(> input:focus-visible), div:has(> textarea:focus-visible) {{
  outline: 3px solid #1976d2 !important; outline-offset: 2px; }}
@media (max-width: {NARROW_PX}px) {{
  .st-key-canvas_row [data-testid="stHorizontalBlock"] {{ flex-wrap: wrap; }}
  .st-key-canvas_row [data-testid="stHorizontalBlock"] > [data-testid="stColumn"] {{
    flex: 1 1 100% !important; width: 100% !important; min-width: 100% !important; }}
  section[data-testid="stSidebar"] {{ width: 220px !important; min-width: 220px !important; }}
}}
</style>
"""


def inject() -> None:
    """The style with a skip link in the sidebar (before the palette), and its target at the top of the page:
    two elements, as every rerun (every canvas edit) sends them again."""
    st.sidebar.html(CSS + '<a class="skip-link" href="#page-content">Skip to the page content</a>')
    st.html('<div id="page-content" tabindex="-1"></div>')
