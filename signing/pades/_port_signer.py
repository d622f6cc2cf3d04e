"""pyHanko's ``Signer`` backed by the :class:`keys.signer.Signer` port.

pyHanko asks for one coroutine, ``async_sign_raw``; this adapter forwards it to the
port and converts raw ECDSA ``r || s`` to DER. A PKCS#11 key behind the port later
needs no change here.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence
from typing import Final

from asn1crypto import algos
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.attributes import CMSAttributeProvider
from pyhanko.sign.attributes import SignedAttributeProviderSpec
from pyhanko.sign.general import SigningError
from pyhanko.sign.general import as_signing_certificate_v2
from pyhanko.sign.signers.pdf_cms import Signer as PyHankoSigner
from pyhanko_certvalidator.registry import SimpleCertificateStore

from keys.pki.signer_keys import cms_signature_mechanism
from keys.pki.signer_keys import x509_signature
from keys.signer import Signer

__all__ = ["PortSigner", "to_asn1"]

_DIGEST_FOR_ALG: Final = {"ES256": "sha256", "RS256": "sha256", "EdDSA": "sha512"}
_ES256_DER_MAX: Final = 72


def to_asn1(certificate: x509.Certificate) -> asn1_x509.Certificate:
    """The same certificate as an asn1crypto object, which pyHanko works with."""
    return asn1_x509.Certificate.load(certificate.public_bytes(serialization.Encoding.DER))


class _SigningCertificateV2(CMSAttributeProvider):
    """The ESS signing-certificate-v2 attribute (RFC 5035), computed once per seal.

    pyHanko rebuilds it, issuer name and all, for every signature; loading the DER
    kept from the first build is equivalent and an order of magnitude cheaper.
    """

    attribute_type = "signing_certificate_v2"

    def __init__(self, der: bytes) -> None:
        self._der = der

    async def build_attr_value(self, dry_run: bool = False) -> tsp.SigningCertificateV2:
        return tsp.SigningCertificateV2.load(self._der)


class _PAdESSignedAttributes(SignedAttributeProviderSpec):
    """The signed attributes of a PAdES signature beyond content type and digest.

    PAdES baseline signatures carry signing-certificate-v2 and no signing-time
    attribute (ETSI EN 319 142-1, 6.3); the signing time is the dictionary's /M.
    """

    def __init__(self, signing_certificate_v2_der: bytes) -> None:
        self._provider = _SigningCertificateV2(signing_certificate_v2_der)

    def signed_attr_providers(
        self, data_digest: bytes, digest_algorithm: str
    ) -> Iterable[CMSAttributeProvider]:
        yield self._provider


def _registry(certificates: list[asn1_x509.Certificate]) -> SimpleCertificateStore:
    registry = SimpleCertificateStore()  # type: ignore[no-untyped-call]
    registry.register_multiple(certificates)
    return registry


class PortSigner(PyHankoSigner):
    """Sign CMS signer infos through a Tongban Signer."""

    def __init__(
        self,
        signer: Signer,
        certificate: x509.Certificate,
        chain: Sequence[x509.Certificate],
        *,
        signing_certificate_v2_der: bytes | None = None,
    ) -> None:
        """:param signing_certificate_v2_der: ``attribute_der`` of an
        earlier signer for the same certificate, to skip building it again"""
        self._port = signer
        super().__init__(
            signing_cert=to_asn1(certificate),
            cert_registry=_registry([to_asn1(c) for c in chain]),
            signature_mechanism=algos.SignedDigestAlgorithm(
                {"algorithm": cms_signature_mechanism(signer)}
            ),
            # The root stays in the CMS: poppler's pdfsig (NSS) fails to trust the
            # second seal of a countersigned document without it.
            embed_roots=True,
        )
        self.attribute_der = (
            signing_certificate_v2_der or as_signing_certificate_v2(self.signing_cert).dump()
        )
        self.signed_attr_prov_spec = _PAdESSignedAttributes(self.attribute_der)
        self._placeholder_length = (
            _ES256_DER_MAX if signer.alg == "ES256" else len(certificate.signature)
        )

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        expected = _DIGEST_FOR_ALG[self._port.alg]
        if digest_algorithm != expected:
            raise SigningError(f"{self._port.alg} signs with {expected}, not {digest_algorithm}")
        if dry_run:
            # Size estimation only: no need to wake an HSM for it.
            return bytes(self._placeholder_length)
        return x509_signature(self._port, data)
