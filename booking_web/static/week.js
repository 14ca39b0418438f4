// Optional: "Previous week" / "Next week" without a page reload, with the next weeks prefetched.
// The page works the same without it (the links are ordinary links).
(function () {
  "use strict";
  var cache = {};
  function fetchWeek(url) {
    if (!cache[url]) {
      cache[url] = fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.text(); })
        .then(function (html) { return new DOMParser().parseFromString(html, "text/html"); });
      cache[url].catch(function () { delete cache[url]; });
    }
    return cache[url];
  }
  function prefetch(doc) {
    var next = doc.querySelector('#week a[rel="next"]');
    if (next) { fetchWeek(next.href).then(function (d) {
      var after = d.querySelector('#week a[rel="next"]');
      if (after) { fetchWeek(after.href); }
    }, function () {}); }
  }
  function show(url, push) {
    return fetchWeek(url).then(function (doc) {
      var fresh = doc.getElementById("week");
      var current = document.getElementById("week");
      if (!fresh || !current) { window.location.href = url; return; }
      current.replaceWith(fresh);
      document.title = doc.title;
      if (push) { history.pushState({ week: url }, "", url); }
      var heading = document.getElementById("week-heading");
      if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
      prefetch(document);
    }, function () { window.location.href = url; });
  }
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest('#week .weeks a[rel]');
    if (!link || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) { return; }
    event.preventDefault();
    show(link.href, true);
  });
  window.addEventListener("popstate", function () { show(window.location.href, false); });
  if (document.getElementById("week")) { prefetch(document); }
})();
