import Dialects
import HTTPTypes
import Hummingbird
import NIOCore

/// The dashboard's stylesheet and script, compiled into the binary and served from `/ui/assets/` (no
/// CDN, nothing fetched from elsewhere; the pages' CSP allows scripts and styles from this origin only).
/// The pages work without the script; it adds copy buttons and confirmations.
enum UIAssets {
    static func response(_ text: String, type: String) -> Response {
        var headers: HTTPFields = [.contentType: type, .cacheControl: "no-cache"]
        headers[HTTPField.Name("X-Content-Type-Options")!] = "nosniff"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    static let script = #"""
        "use strict";
        // Copy buttons: <button data-copy="input-id"> copies that input's value.
        document.addEventListener("click", function (event) {
          var button = event.target.closest("[data-copy]");
          if (!button) return;
          var input = document.getElementById(button.getAttribute("data-copy"));
          if (!input) return;
          var done = function () { button.textContent = "Copied"; setTimeout(function () { button.textContent = "Copy"; }, 2000); };
          if (navigator.clipboard && window.isSecureContext) {
            navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
          } else {
            input.select();
            try { document.execCommand("copy"); done(); } catch (e) { /* the text stays selected for a manual copy */ }
          }
        });
        // Forms with data-confirm ask before they post (delete, regenerate).
        document.addEventListener("submit", function (event) {
          var message = event.target.getAttribute("data-confirm");
          if (message && !window.confirm(message)) event.preventDefault();
        });
        // Filter selects apply at once.
        document.querySelectorAll("form.filters select").forEach(function (select) {
          select.addEventListener("change", function () { select.form.submit(); });
        });
        """#

    static let stylesheet = #"""
        :root { --ink: #1d2430; --muted: #687385; --line: #dde2ea; --bg: #f5f7fa; --card: #fff; --accent: #2457c5;
                --good: #1a7f4b; --bad: #b42318; --s0: #2457c5; --s1: #d9822b; font-family: system-ui, -apple-system, "Segoe UI", sans-serif; }
        * { box-sizing: border-box; }
        body { margin: 0; background: var(--bg); color: var(--ink); font-size: 15px; line-height: 1.45; }
        a { color: var(--accent); }
        header.top { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.25rem; padding: .6rem 1.25rem; background: #1d2430; color: #fff; }
        header.top a { color: #dfe6f3; text-decoration: none; }
        header.top a[aria-current] { color: #fff; font-weight: 600; border-bottom: 2px solid #fff; }
        header.top nav { display: flex; flex-wrap: wrap; gap: .25rem 1rem; flex: 1; }
        .brand { font-weight: 700; color: #fff !important; }
        main { max-width: 1200px; margin: 0 auto; padding: 1rem 1.25rem 3rem; }
        h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
        h2 { font-size: 1.1rem; margin: 0 0 .75rem; }
        h2 small { color: var(--muted); font-weight: normal; }
        .card { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 1rem; margin-bottom: 1rem; }
        .scroll { overflow-x: auto; }
        table { border-collapse: collapse; width: 100%; }
        th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { font-size: .8rem; text-transform: uppercase; letter-spacing: .03em; color: var(--muted); }
        code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .85em; word-break: break-all; }
        pre { white-space: pre-wrap; word-break: break-all; background: var(--bg); padding: .5rem; border-radius: 4px; max-height: 24rem; overflow: auto; }
        form.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr)); gap: .75rem; align-items: end; }
        form.grid .wide { grid-column: 1 / -1; }
        form.filters { display: flex; flex-wrap: wrap; gap: .5rem .75rem; align-items: flex-start; margin-bottom: .75rem; }
        form.filters > button { margin-top: 1.3rem; }
        label { display: flex; flex-direction: column; gap: .2rem; font-size: .85rem; color: var(--muted); }
        label small { font-size: .75rem; }
        input, select, textarea, button { font: inherit; padding: .4rem .55rem; border: 1px solid #c3cad6; border-radius: 5px; color: var(--ink); background: #fff; }
        button { background: var(--accent); color: #fff; border-color: var(--accent); cursor: pointer; }
        button.danger { background: var(--bad); border-color: var(--bad); }
        form.inline { display: inline; }
        form.signout button { background: transparent; border-color: #68748a; color: #dfe6f3; padding: .2rem .6rem; }
        .actions { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin-top: .75rem; }
        .message { padding: .6rem .8rem; border-radius: 6px; border: 1px solid; }
        .message.error { background: #fdecea; border-color: #f3b8b1; color: var(--bad); }
        .message.notice { background: #e8f4ec; border-color: #b4dcc3; color: var(--good); }
        .secret { border-color: #d9822b; background: #fff8ef; }
        .copyrow { display: flex; gap: .5rem; }
        .copyrow input { flex: 1; font-family: ui-monospace, Menlo, Consolas, monospace; }
        .badge { display: inline-block; padding: 0 .45rem; border-radius: 999px; font-size: .8rem; color: #fff; }
        .badge.good { background: var(--good); } .badge.bad { background: var(--bad); }
        .muted, .empty { color: var(--muted); }
        .signin { max-width: 26rem; display: flex; flex-direction: column; gap: .75rem; }
        .tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(10rem, 1fr)); gap: .75rem; margin-bottom: 1rem; }
        .tile { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .75rem; display: flex; flex-direction: column; }
        .tile span { color: var(--muted); font-size: .8rem; } .tile strong { font-size: 1.35rem; }
        .charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(22rem, 1fr)); gap: .75rem; }
        .tops { display: grid; grid-template-columns: repeat(auto-fill, minmax(18rem, 1fr)); gap: .75rem; margin-top: 1rem; }
        figure.chart { margin: 0; background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: .6rem; }
        figcaption { font-weight: 600; font-size: .9rem; margin-bottom: .25rem; }
        svg.chart { width: 100%; height: auto; aspect-ratio: 480 / 170; display: block; }
        svg .grid { stroke: var(--line); stroke-width: 1; } svg .axis-line, svg .tick { stroke: #9aa4b5; }
        svg text.axis { fill: var(--muted); font-size: 12px; } svg text.empty { fill: var(--muted); font-size: 13px; }
        svg .bar.series-0 { fill: var(--s0); } svg .line { fill: none; stroke-width: 2; }
        svg .line.series-0 { stroke: var(--s0); } svg .line.series-1 { stroke: var(--s1); }
        svg .dot.series-0 { fill: var(--s0); } svg .dot.series-1 { fill: var(--s1); }
        .legend { margin: .25rem 0 0; font-size: .8rem; display: flex; gap: 1rem; }
        .legend .key::before { content: ""; display: inline-block; width: .7rem; height: .7rem; margin-right: .3rem; border-radius: 2px; vertical-align: -1px; }
        .legend .series-0::before { background: var(--s0); } .legend .series-1::before { background: var(--s1); }
        .ranges { display: flex; gap: 1rem; margin-bottom: .75rem; } .ranges a[aria-current] { font-weight: 700; color: var(--ink); text-decoration: none; }
        .pager { display: flex; gap: 1rem; align-items: center; margin-top: .75rem; }
        meter { width: 7rem; vertical-align: middle; }
        @media (max-width: 640px) {
          main { padding: .75rem; } .charts, .tops { grid-template-columns: 1fr; }
          th, td { padding: .35rem .4rem; font-size: .9rem; } header.top { padding: .5rem .75rem; }
        }
        """#
}
