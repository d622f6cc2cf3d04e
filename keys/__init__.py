"""Key store, algorithms, rotation, JWKS and the JOSE wrapper; private keys stay here."""
