"""Drives the dashboard in a real headless Chromium (Debian's chromium + chromedriver, through selenium).

Run by DashboardBrowserTests against a gateway in front of the fake Ollama. Prints `ok <name>` for each
step that passed; the steps build on each other, so the first failure ends the run (exit status 1).
Screenshots of every page go to $TOLLGATE_SCREENSHOTS.

Environment: TOLLGATE_URL, TOLLGATE_MASTER_KEY, TOLLGATE_SCREENSHOTS; CHROMIUM and CHROMEDRIVER
(default /usr/bin/chromium and /usr/bin/chromedriver).
"""

import json
import os
import sys
import time
import urllib.error
import urllib.request

from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

BASE = os.environ["TOLLGATE_URL"]
MASTER = os.environ["TOLLGATE_MASTER_KEY"]
SHOTS = os.environ["TOLLGATE_SCREENSHOTS"]
TIMEOUT = 15  # seconds any one wait may take
ALIAS = "browser-key"


def fail(name, reason):
    print(f"FAIL {name}: {reason}", flush=True)
    sys.exit(1)


def ok(name):
    print(f"ok {name}", flush=True)


def wait_for(name, condition, timeout=TIMEOUT):
    """Polls `condition` until it returns something truthy, or fails `name` at the deadline."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            value = condition()
            if value:
                return value
        except Exception as error:  # the page may be mid-load
            last = error
        time.sleep(0.2)
    fail(name, f"not within {timeout} s (last error: {last})")


def shot(browser, name):
    browser.save_screenshot(os.path.join(SHOTS, name + ".png"))


def admin(path, payload):
    """One admin API call with the master key; returns (status, body)."""
    request = urllib.request.Request(
        BASE + path, data=json.dumps(payload).encode(), method="POST",
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + MASTER},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def chat(key):
    """One chat call through the gateway with `key`; returns (status, body)."""
    body = json.dumps({"model": "llama3.2", "messages": [{"role": "user", "content": "Say hello"}]}).encode()
    request = urllib.request.Request(
        BASE + "/v1/chat/completions", data=body, method="POST",
        headers={"Content-Type": "application/json", "Authorization": "Bearer " + key},
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def main():
    os.makedirs(SHOTS, exist_ok=True)
    options = webdriver.ChromeOptions()
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,1000",
                     "--no-first-run", "--disable-extensions", "--disable-background-networking", "--disable-sync",
                     "--disable-component-update", "--disable-default-apps", "--metrics-recording-only"):
        options.add_argument(argument)
    service = Service(executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    browser = webdriver.Chrome(service=service, options=options)
    browser.set_page_load_timeout(TIMEOUT)
    try:
        run(browser)
    finally:
        browser.quit()


def run(browser):
    # Sign in: a wrong key first, then the master key.
    browser.get(BASE + "/ui/keys")
    wait_for("redirect_to_sign_in", lambda: browser.current_url.endswith("/ui/login"))
    browser.find_element(By.NAME, "master_key").send_keys("sk-wrong-key")
    browser.find_element(By.CSS_SELECTOR, "form.signin button").click()
    wait_for("wrong_key_message", lambda: "not this gateway" in browser.find_element(By.CSS_SELECTOR, ".message.error").text)
    shot(browser, "01-sign-in-wrong-key")
    ok("wrong_key_message")
    browser.find_element(By.NAME, "master_key").send_keys(MASTER)
    browser.find_element(By.CSS_SELECTOR, "form.signin button").click()
    wait_for("sign_in", lambda: browser.current_url.endswith("/ui/overview"))
    ok("sign_in")

    # Create a key: its secret is shown once.
    browser.get(BASE + "/ui/keys")
    form = browser.find_element(By.CSS_SELECTOR, "form[action='/ui/keys']")
    form.find_element(By.NAME, "key_alias").send_keys(ALIAS)
    form.find_element(By.NAME, "user_id").send_keys("alice")
    form.find_element(By.NAME, "rpm_limit").send_keys("100")
    form.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    secret_box = wait_for("create_key", lambda: browser.find_element(By.ID, "new-secret"))
    secret = secret_box.get_attribute("value")
    if not secret.startswith("sk-") or len(secret) != 46:
        fail("create_key", f"no secret shown: {secret!r}")
    browser.find_element(By.CSS_SELECTOR, "[data-copy='new-secret']").click()
    shot(browser, "02-key-created")
    ok("create_key")
    browser.get(BASE + "/ui/keys")
    wait_for("key_listed", lambda: ALIAS in browser.find_element(By.TAG_NAME, "table").text)
    if secret in browser.page_source:
        fail("secret_shown_once", "the key list shows the secret")
    shot(browser, "03-keys")
    browser.find_element(By.LINK_TEXT, ALIAS).click()
    wait_for("key_detail", lambda: "/ui/keys/" in browser.current_url)
    if secret in browser.page_source:
        fail("secret_shown_once", "the key's page shows the secret")
    key_page = browser.current_url
    shot(browser, "04-key-detail")
    ok("secret_shown_once")

    # Use the key: three chat calls through the gateway, to the fake Ollama.
    for index in range(3):
        status, body = chat(secret)
        if status != 200:
            fail("chat_calls", f"call {index} answered {status}: {body}")
    ok("chat_calls")

    # They appear in the request log (the usage recorder flushes in the background) and its detail.
    def logged():
        browser.get(BASE + "/ui/log")
        return len([row for row in browser.find_elements(By.CSS_SELECTOR, "tbody tr") if ALIAS in row.text]) >= 3
    wait_for("request_log", logged)
    shot(browser, "05-request-log")
    browser.find_element(By.CSS_SELECTOR, "tbody tr td a").click()
    wait_for("request_detail", lambda: "Request id" in browser.find_element(By.TAG_NAME, "table").text)
    shot(browser, "06-request-detail")
    ok("request_log")

    # The overview's request chart has a bar for them, and its tiles count them.
    def charted():
        browser.get(BASE + "/ui/overview")
        bars = browser.find_elements(By.CSS_SELECTOR, "figure.chart svg rect.bar")
        return bars and any(float(bar.get_attribute("height")) > 0 for bar in bars)
    wait_for("overview_chart", charted)
    tiles = browser.find_element(By.CSS_SELECTOR, ".tiles").text
    if "Requests\n3" not in tiles:
        fail("overview_chart", f"the Requests tile does not say 3: {tiles!r}")
    shot(browser, "07-overview-24h")
    browser.get(BASE + "/ui/overview?range=7d")
    shot(browser, "08-overview-7d")
    ok("overview_chart")

    # Block the key: the gateway refuses it at once.
    browser.get(key_page)
    browser.find_element(By.XPATH, "//button[text()='Block']").click()
    wait_for("block_key", lambda: "Blocked" in browser.find_element(By.CSS_SELECTOR, ".message.notice").text)
    shot(browser, "09-key-blocked")
    status, body = wait_for("block_key", lambda: (lambda answer: answer if answer[0] == 401 else None)(chat(secret)))
    if body.get("error", {}).get("code") != "key_blocked":
        fail("block_key", f"refused, but not as blocked: {body}")
    ok("block_key")

    # The other pages, for the screenshots (and that each renders).
    for path, title, name in (("/ui/users", "Users", "10-users"), ("/ui/users/alice", "User alice", "11-user"),
                              ("/ui/usage?group_by=model", "Usage", "12-usage"), ("/ui/backends", "Backends", "13-backends"),
                              ("/ui/audit", "Audit log", "14-audit")):
        browser.get(BASE + path)
        shot(browser, name)
        heading = browser.find_element(By.TAG_NAME, "h1").text
        if heading != title:
            fail("pages", f"{path} is headed {heading!r}, not {title!r}")
    audit = browser.find_element(By.TAG_NAME, "table").text
    if "key.block" not in audit or "key.generate" not in audit:
        fail("pages", f"the audit log misses the changes: {audit!r}")
    # Teams: a team made through the REST API, with a member, a key and a budget, shown on the Teams page;
    # blocking it there refuses its key.
    status, _ = admin("/team/new", {"team_id": "search", "team_alias": "Search team", "max_budget": 5,
                                    "members_with_roles": [{"user_id": "alice", "role": "admin"}]})
    if status != 200:
        fail("teams", f"/team/new answered {status}")
    status, made = admin("/key/generate", {"team_id": "search", "key_alias": "search-key"})
    if status != 200:
        fail("teams", f"/key/generate answered {status}")
    team_secret = made["key"]
    if chat(team_secret)[0] != 200:
        fail("teams", "the team's key is refused before the block")
    browser.get(BASE + "/ui/teams")
    shot(browser, "17-teams")
    listed = browser.find_element(By.TAG_NAME, "table").text
    if "Search team" not in listed or "alice" not in listed:
        fail("teams", f"the teams list misses the team or its member: {listed!r}")
    browser.find_element(By.LINK_TEXT, "Search team").click()
    wait_for("teams", lambda: browser.find_element(By.TAG_NAME, "h1").text == "Team Search team")
    shot(browser, "18-team")
    browser.find_element(By.XPATH, "//button[text()='Block']").click()
    wait_for("teams", lambda: "Blocked" in browser.find_element(By.CSS_SELECTOR, ".message.notice").text)
    shot(browser, "19-team-blocked")
    wait_for("teams", lambda: chat(team_secret)[0] == 401)
    ok("teams")

    # The same overview on a phone-sized window.
    browser.set_window_size(390, 844)
    browser.get(BASE + "/ui/overview")
    shot(browser, "15-overview-phone")
    browser.set_window_size(1280, 1000)
    ok("pages")

    # Sign out: back to the sign-in page, and the pages need signing in again.
    browser.find_element(By.CSS_SELECTOR, "form.signout button").click()
    wait_for("sign_out", lambda: "/ui/login" in browser.current_url)
    shot(browser, "16-signed-out")
    browser.get(BASE + "/ui/keys")
    wait_for("sign_out", lambda: browser.current_url.endswith("/ui/login"))
    ok("sign_out")


if __name__ == "__main__":
    main()
