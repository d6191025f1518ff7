# Sourced by the browser tests and the console benchmark: Playwright and pytest, pinned in
# Tests/Browser/requirements.txt, in .venv-browser (made again when the pins change). Playwright
# never fetches a browser of its own: it drives Debian's /usr/bin/chromium.
venv=.venv-browser
if [ ! -x "$venv/bin/pytest" ] || ! cmp -s Tests/Browser/requirements.txt "$venv/requirements.txt"; then
    echo "installing the browser tests' tools in $venv..."
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check -r Tests/Browser/requirements.txt
    cp Tests/Browser/requirements.txt "$venv/requirements.txt"
fi
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
