"""Sign-in in a real headless Chromium: a class's app asks who you are, streamlit-authenticator checks the
bcrypt hash, a student gets the student's pages (no Class page), an instructor also gets the Class page."""
from __future__ import annotations

import os

import pytest

from classroom import PASSWORD, classroom  # noqa: F401  (fixture)
from ui_browser import CHROMIUM, CHROMIUM_ARGS, running_app, settle

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240),
              pytest.mark.skipif(not os.path.exists(CHROMIUM), reason="needs Debian's chromium")]


def sign_in(page, user: str, password: str) -> None:
    page.get_by_role("textbox", name="User name").fill(user)
    page.get_by_role("textbox", name="Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    settle(page)


def test_students_and_instructors_sign_in_and_see_their_pages(classroom, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with running_app(classroom, tmp_path / "datasets", tmp_path / "app.log") as url, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(url)
            page.get_by_label("User name").wait_for(timeout=60_000)
            sign_in(page, "ada", "wrong password")
            expect(page.get_by_text("Wrong user name or password.")).to_be_visible()

            sign_in(page, "ada", PASSWORD)
            sidebar = page.locator('[data-testid="stSidebar"]')
            expect(sidebar.get_by_text("Signed in as")).to_contain_text("ada", timeout=60_000)
            expect(page.get_by_role("heading", name="Build", exact=True)).to_be_visible()
            expect(sidebar.get_by_role("link", name="Tasks")).to_be_visible()
            assert sidebar.get_by_role("link", name="Class").count() == 0

            sidebar.get_by_role("button", name="Sign out").click()
            settle(page)
            page.get_by_label("User name").wait_for(timeout=30_000)

            sign_in(page, "grace", PASSWORD)
            expect(sidebar.get_by_text("Signed in as")).to_contain_text("grace", timeout=60_000)
            sidebar.get_by_role("link", name="Class").click()
            settle(page)
            expect(page.get_by_role("heading", name="Class", exact=True)).to_be_visible(timeout=60_000)
        finally:
            browser.close()
