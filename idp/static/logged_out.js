// After logout: give the front-channel iframes a moment to load, then return to the client.
(function () {
  var page = document.getElementById("logged-out");
  var target = page && page.getAttribute("data-target");
  var frames = Array.prototype.slice.call(document.querySelectorAll("iframe.frontchannel"));
  var waiting = frames.length;
  var left = false;
  function leave() {
    if (!left && target) { left = true; window.location.assign(target); }
  }
  frames.forEach(function (frame) {
    frame.addEventListener("load", function () { waiting -= 1; if (waiting <= 0) leave(); });
  });
  if (waiting === 0) leave();
  setTimeout(leave, 3000);
})();
