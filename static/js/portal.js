// Small progressive enhancements; every page works without this file.
document.addEventListener("htmx:responseError", function (event) {
  const target = event.detail.target;
  if (target) {
    // The message in the page's language (base.html puts it on <body>).
    const message = document.createElement("p");
    message.className = "error";
    message.textContent = document.body.dataset.saveError || "The change could not be saved. Reload the page and try again.";
    target.prepend(message);
  }
});
