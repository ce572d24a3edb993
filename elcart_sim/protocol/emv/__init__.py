"""EMV: what crosses the NFC link and what the chip's evidence is.

``tlv`` BER-TLV (Book 3 Annex B), ``tags`` the tag dictionary (Book 3 Annex A), ``apdu``
command and response APDUs (ISO/IEC 7816-4), ``track2`` tag 57 and DE35, ``cryptogram`` the
card side of ARQC and our limited-use keys (Book 2 A1), ``arqc_verify`` the issuer side (pyemv),
``icc_data`` DE55 read strictly, ``apdu_format`` the card dialogue as bytes or as objects.
"""
