"""Electronic licences (电子证照): issuance, QR credentials, status lists and verification."""
