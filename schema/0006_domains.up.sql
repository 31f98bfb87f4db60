-- Sending domains: the domains campaigns send From, each with the DKIM key
-- that signs their mail. A campaign is signed by the domain of its From
-- address, or by the closest parent domain listed here (relaxed DMARC
-- alignment); a From domain without a row is sent unsigned.
CREATE TABLE sending_domains (
    id                 bigserial PRIMARY KEY,
    -- Lower case, without a trailing dot: the DKIM d= tag.
    domain             text NOT NULL UNIQUE,
    dkim_selector      text NOT NULL,
    dkim_algorithm     text NOT NULL CHECK (dkim_algorithm IN ('rsa', 'ed25519')),
    -- PKCS#8 PEM. The API never returns it and nothing logs it.
    dkim_private_key   text NOT NULL,
    -- What the SPF check looks for: the relay's SPF domain for an include:
    -- mechanism, and the IP address or host name mail leaves from.
    spf_include        text NOT NULL DEFAULT '',
    sending_host       text NOT NULL DEFAULT '',
    -- Domain of the VERP envelope sender, such as bounces.<domain>, so that
    -- SPF aligns with From. Its MX must deliver to pacer's bounce processing.
    -- Empty means the global bounce_domain.
    return_path_domain text NOT NULL DEFAULT '',
    created_at         timestamptz NOT NULL DEFAULT now()
);
