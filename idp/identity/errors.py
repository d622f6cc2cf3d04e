"""Errors about identity documents, credit codes and phone numbers a person typed.

::

    IdentityError                       bad user input (HTTP 400, message shown)
    ├── DocumentInvalid                 an identity document number is wrong
    │   ├── DocumentTypeUnknown         a document type Tongban does not accept
    │   ├── DocumentFormatInvalid       wrong length or characters for the type
    │   ├── DocumentCheckDigitInvalid   GB 11643 check digit does not match
    │   ├── DocumentBirthDateInvalid    impossible, future or pre-1900 birth date
    │   └── DocumentRegionInvalid       region code names no province
    ├── CreditCodeInvalid               a unified social credit code is wrong
    │   ├── CreditCodeFormatInvalid     wrong length or characters (I O Z S V)
    │   ├── CreditCodeAuthorityInvalid  unknown registration authority or type code
    │   ├── CreditCodeRegionInvalid     division code names no province
    │   ├── CreditCodeOrganizationCheckInvalid   GB 11714 check character wrong
    │   └── CreditCodeCheckInvalid      GB 32100 check character wrong
    └── PhoneInvalid                    not a mainland mobile number

Every class has a stable ``code``; messages name what is wrong but never repeat the
whole number, so they are safe to log.
"""

from __future__ import annotations

from config.errors import TongbanError


class IdentityError(TongbanError):
    code = "identity_invalid"
    http_status = 400
    expose = True


class DocumentInvalid(IdentityError):
    code = "document_invalid"


class DocumentTypeUnknown(DocumentInvalid):
    code = "document_type_unknown"


class DocumentFormatInvalid(DocumentInvalid):
    code = "document_format_invalid"


class DocumentCheckDigitInvalid(DocumentInvalid):
    code = "document_check_digit_invalid"


class DocumentBirthDateInvalid(DocumentInvalid):
    code = "document_birth_date_invalid"


class DocumentRegionInvalid(DocumentInvalid):
    code = "document_region_invalid"


class CreditCodeInvalid(IdentityError):
    code = "credit_code_invalid"


class CreditCodeFormatInvalid(CreditCodeInvalid):
    code = "credit_code_format_invalid"


class CreditCodeAuthorityInvalid(CreditCodeInvalid):
    code = "credit_code_authority_invalid"


class CreditCodeRegionInvalid(CreditCodeInvalid):
    code = "credit_code_region_invalid"


class CreditCodeOrganizationCheckInvalid(CreditCodeInvalid):
    code = "credit_code_organization_check_invalid"


class CreditCodeCheckInvalid(CreditCodeInvalid):
    code = "credit_code_check_invalid"


class PhoneInvalid(IdentityError):
    code = "phone_invalid"
