// Share my location for this check-in (issue 3 item 6).
//
// The visits page includes this script only when a technology use for the
// person allows recording location at check-in, and only then does its
// Permissions-Policy let the page ask for the location. The box stays
// hidden without the script: checking in then works and carries no
// location. The browser is asked for the location only when the care
// worker has ticked the box and pressed 'Check in now'.
(function () {
  'use strict';
  if (!('geolocation' in navigator)) {
    return;
  }
  var boxes = document.querySelectorAll('[data-hearth-share-location]');
  Array.prototype.forEach.call(boxes, function (box) {
    var form = box.closest('form');
    var tick = box.querySelector('input[type=checkbox]');
    var status = box.querySelector('[data-hearth-location-status]');
    if (!form || !tick || !status) {
      return;
    }
    box.hidden = false;
    var ready = false;
    form.addEventListener('submit', function (event) {
      if (!tick.checked || ready) {
        return;
      }
      event.preventDefault();
      status.textContent = 'Finding where you are…';
      navigator.geolocation.getCurrentPosition(function (pos) {
        form.elements.latitude.value = String(pos.coords.latitude);
        form.elements.longitude.value = String(pos.coords.longitude);
        form.elements.accuracy.value = String(Math.round(pos.coords.accuracy));
        ready = true;
        status.textContent = 'Checking in with your location…';
        form.submit();
      }, function (err) {
        tick.checked = false;
        status.textContent = (err && err.code === 1
          ? 'Your phone did not allow sharing your location.'
          : 'Your location could not be found.') + ' Check in again without it, or tick the box to try again.';
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 0 });
    });
  });
})();
