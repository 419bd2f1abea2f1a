// Submits the payment form as soon as the page loads; the button stays for
// browsers without scripts.
document.querySelectorAll("form[data-autosubmit]").forEach(function (f) { f.submit(); });
