"""The web interface: templates, languages, sessions, CSRF and forms for the HTML pages."""
