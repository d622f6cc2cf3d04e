"""The OAuth 2.0 / OpenID Connect protocol layer, built on Authlib.

Authlib is imported only inside this package; its request and response objects never
leave it. Modules are named after what they implement: ``tokens`` (RFC 9068 access
tokens, ID tokens, refresh tokens), ``grants`` (RFC 6749 grants with RFC 7636 and
OpenID Connect), ``client_auth`` (RFC 7523 private_key_jwt), ``authorize`` (the
authorization endpoint with RFC 9126 PAR and RFC 9101 request objects),
``discovery`` (OpenID Connect Discovery and RFC 8414), ``registration`` (RFC 7591/7592),
``endpoints`` (userinfo, RFC 7009 revocation, RFC 7662 introspection).
"""
