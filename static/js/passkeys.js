// Passkeys (clients/passkeys.py). Runs before django-otp-webauthn's scripts (a module, loaded after this one) and
// prepares them under the portal's Content-Security-Policy, which allows no inline script: their configuration, with
// this page's CSRF token, and their messages in the page's language, both from the JSON block "passkey-data".
(function () {
  "use strict";
  var source = document.getElementById("passkey-data");
  if (!source) {
    return;
  }
  var data = JSON.parse(source.textContent);
  var messages = data.messages || {};

  // The library's scripts call gettext() (Django's JavaScript catalog, which the portal does not serve).
  window.gettext = function (text) {
    return Object.prototype.hasOwnProperty.call(messages, text) ? messages[text] : text;
  };

  function csrfToken() {
    var input = document.querySelector("input[name=csrfmiddlewaretoken]");
    if (input) {
      return input.value;
    }
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  var config = Object.assign({}, data.config, { csrfToken: csrfToken() });
  var element = document.createElement("script");
  element.type = "application/json";
  element.id = "otp_webauthn_config";
  element.textContent = JSON.stringify(config);
  document.body.appendChild(element);

  // Adding a passkey: the name is asked for first, before the browser's own dialog ...
  function nameInput() {
    return document.getElementById("passkey-name");
  }
  document.addEventListener(
    "click",
    function (event) {
      if (!event.target || event.target.id !== "passkey-register-button") {
        return;
      }
      var input = nameInput();
      if (input && !input.reportValidity()) {
        event.preventDefault();
        event.stopImmediatePropagation();
      }
    },
    true
  );
  document.addEventListener("keydown", function (event) {
    if (event.key === "Enter" && event.target === nameInput()) {
      event.preventDefault();
      var button = document.getElementById("passkey-register-button");
      if (button && !button.disabled) {
        button.click();
      }
    }
  });
  // ... and once the browser has made the passkey (and the portal checked it), the form names it.
  document.addEventListener("otp_webauthn.register_complete", function (event) {
    var form = document.getElementById("passkey-name-form");
    if (form && event.detail && event.detail.id) {
      form.elements.passkey.value = event.detail.id;
      form.submit();
    }
  });
})();
