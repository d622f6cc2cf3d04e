// Submits the form_post response (OAuth 2.0 Form Post Response Mode) as soon as it loads.
document.getElementById("form-post").submit();
