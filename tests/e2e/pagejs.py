"""Runs one of the plug's own HTML pages' script in Node.js against the real simulated plug.

The page's <script> is taken from what the plug serves; a minimal DOM (elements by id with
textContent, innerHTML, value, hidden, event handlers) and timers the test drives stand in for the
browser, and fetch is Node's own, aimed at the plug. The driver prints one JSON document: what the
page did.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

DRIVER = r"""
const base = process.argv[2];
const steps = JSON.parse(process.argv[3]);
const src = require('fs').readFileSync(0, 'utf8');
const els = {};
const log = {fetches: [], cleared: [], intervals: 0, innerHTML: [], alerts: 0};
class El {
  constructor(tag, id) {
    this.tag = tag; this.id = id; this.value = ''; this.hidden = id === 'pw' || id === 'done';
    this.children = []; this._text = ''; this._html = '';
  }
  set textContent(v) { this._text = String(v); this.children = []; }
  get textContent() { return this._text + this.children.map(c => c.textContent).join(''); }
  set innerHTML(v) { this._html = v; log.innerHTML.push({id: this.id, html: v}); }
  get innerHTML() { return this._html; }
  appendChild(c) { this.children.push(c); return c; }
}
function el(id) {
  if (!els[id]) els[id] = new El('div', id);
  return els[id];
}
global.document = {getElementById: el, querySelectorAll: () => [], body: el('body'),
                   createElement: tag => new El(tag, null)};
const store = {};
global.sessionStorage = {getItem: k => store[k] ?? null,
                         setItem: (k, v) => { store[k] = String(v); }};
global.alert = () => { log.alerts++; };
const timers = new Map();
let next = 1;
global.setInterval = (fn, ms) => {
  const id = next++; timers.set(id, fn); log.intervals++; return id;
};
global.clearInterval = id => { if (timers.delete(id)) log.cleared.push(id); };
const realFetch = fetch;
global.fetch = async (u, o) => {
  const r = await realFetch(base + u, o);
  log.fetches.push({url: u, status: r.status, headers: (o && o.headers) || {},
                    challenge: r.headers.get('www-authenticate')});
  return r;
};
const settle = () => new Promise(r => setTimeout(r, 400));
(async () => {
  eval(src);
  await settle();
  for (const s of steps) {
    if (s.op === 'tick') { for (const fn of [...timers.values()]) fn(); }
    if (s.op === 'set') el(s.id).value = s.value;
    if (s.op === 'submit') await el(s.id).onsubmit({preventDefault() {}});
    await settle();
  }
  log.active_timers = timers.size;
  log.els = Object.fromEntries(Object.entries(els).map(([k, v]) =>
      [k, {textContent: v.textContent, hidden: v.hidden, innerHTML: v._html,
           children: v.children.map(c => ({tag: c.tag, textContent: c.textContent,
                                           value: c.value}))}]));
  console.log(JSON.stringify(log));
})().catch(e => { console.log(JSON.stringify({crash: String(e)})); });
"""


def node() -> str:
    path = shutil.which("node") or shutil.which("nodejs")
    assert path, "node is needed to run the plug's page script (scripts/setup installs nodejs)"
    return path


def page_script(html: str) -> str:
    m = re.search(r"<script>(.*?)</script>", html, re.S)
    assert m, "no script in the page"
    return m.group(1)


def run_page(port: int, html: str, steps: list[dict[str, Any]], workdir: Path) -> dict[str, Any]:
    driver = workdir / "page_driver.js"
    driver.write_text(DRIVER)
    out = subprocess.run(
        [node(), str(driver), f"http://127.0.0.1:{port}", json.dumps(steps)],
        input=page_script(html),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout.strip().splitlines()[-1])
    assert "crash" not in result, result
    return result
