"""An offline Athena: a local OIDC issuer, STS, Athena and S3 on loopback (extra ``local``)."""
