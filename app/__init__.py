"""The DragDL web app (Streamlit): `streamlit run app/main.py`. Pages live in the top-level `pages/`."""
