-- Admin client certificates: a certificate whose SHA-256 thumbprint an administrator registered
-- logs its holder in to the console as that administrator (the TLS handshake proves the key).
create table admin_certificates (
    thumbprint_sha256  char(64)      primary key,
    admin_user         varchar(128)  not null,
    subject            varchar(2048) not null,
    not_after          timestamp with time zone not null,
    added_at           timestamp with time zone not null,
    added_by           varchar(128)  not null
);
