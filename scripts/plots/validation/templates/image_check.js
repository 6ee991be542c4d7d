// Marks <body> with how many images loaded, for check_report.py and headless tests.
window.addEventListener('load', function () {
  var images = Array.prototype.slice.call(document.images);
  var broken = images.filter(function (im) { return !(im.complete && im.naturalWidth > 0); });
  document.body.setAttribute('data-images-loaded', (images.length - broken.length) + '/' + images.length);
  document.body.setAttribute('data-images-broken',
    broken.map(function (im) { return im.getAttribute('data-name') || im.alt; }).join(' '));
});
