-- The Azure storage account's two access keys (key1, key2; the values live in the secret store as
-- azure-key1 and azure-key2). One slot signs at a time; a rotation moves signing to the other slot
-- and records until when the retired slot still has unexpired URLs out, so its key is regenerated
-- in Azure only after that.
create table content_key_slots (
    slot         integer not null primary key,
    activated_at timestamp with time zone,
    retired_at   timestamp with time zone,
    signs_until  timestamp with time zone,
    check (slot in (1, 2))
);
