"""Identity documents, credit codes, phone numbers and their masked forms (no IO)."""

from idp.identity.documents import Document
from idp.identity.documents import DocumentType
from idp.identity.documents import parse_document
from idp.identity.errors import CreditCodeInvalid
from idp.identity.errors import DocumentInvalid
from idp.identity.errors import IdentityError
from idp.identity.errors import PhoneInvalid
from idp.identity.masking import mask_id_number
from idp.identity.masking import mask_name
from idp.identity.masking import mask_phone
from idp.identity.phones import parse_mobile
from idp.identity.uscc import CreditCode
from idp.identity.uscc import parse_credit_code

__all__ = [
    "CreditCode",
    "CreditCodeInvalid",
    "Document",
    "DocumentInvalid",
    "DocumentType",
    "IdentityError",
    "PhoneInvalid",
    "mask_id_number",
    "mask_name",
    "mask_phone",
    "parse_credit_code",
    "parse_document",
    "parse_mobile",
]
