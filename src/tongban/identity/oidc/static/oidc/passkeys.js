// Show the new passkey in the list once the browser has registered it.
document.addEventListener("otp_webauthn.register_complete", () => window.location.reload());
