-- role-content plugin tables. PostgreSQL dialect; H2 runs it in MODE=PostgreSQL.

-- One version of a package: its files are immutable once uploaded.
create table content_versions (
    package_id  varchar(64)  not null,
    version     integer      not null,
    created_at  timestamp with time zone not null,
    created_by  varchar(128) not null,
    primary key (package_id, version)
);

-- The files of a package version, as stored in the content store under <package>/<version>/<name>.
create table content_files (
    package_id  varchar(64)  not null,
    version     integer      not null,
    name        varchar(200) not null,
    size        bigint       not null,
    sha256      char(64)     not null,
    store_key   varchar(300) not null,
    uploaded_at timestamp with time zone not null,
    uploaded_by varchar(128) not null,
    primary key (package_id, version, name),
    foreign key (package_id, version) references content_versions (package_id, version) on delete cascade
);
