// Small progressive enhancements; every page works without this file.
document.addEventListener("htmx:responseError", function (event) {
  const target = event.detail.target;
  if (target) {
    target.insertAdjacentHTML("afterbegin", '<p class="error">The change could not be saved. Reload the page and try again.</p>');
  }
});
