-- A counter bumped with every change of the catalog or the key slots: each gateway instance keeps
-- both in memory (no device request reads the store) and reloads them when it moves.
create table content_revision (
    id          integer not null primary key,
    revision    bigint  not null,
    check (id = 1)
);
insert into content_revision (id, revision) values (1, 0);
