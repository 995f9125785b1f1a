-- An optional maximum number of devices a bulk token registers (review L10). PostgreSQL dialect.
alter table token_bulk add column max_registrations integer;        -- null: no limit
alter table token_bulk add column registrations integer not null default 0;
