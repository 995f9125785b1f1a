-- Request and egress budgets per endpoint (by its external path) over a fixed window: for the
-- endpoint as a whole and for each device on it. A null budget is no budget.
create table quotas (
    external_path_key    varchar(1024) primary key,   -- lower case, as endpoints.external_path_key
    external_path        varchar(1024) not null,
    window_seconds       bigint        not null,
    requests             bigint,
    egress_bytes         bigint,
    device_requests      bigint,
    device_egress_bytes  bigint,
    warn_percent         integer       not null,
    updated_at           timestamp with time zone not null,
    updated_by           varchar(128)  not null
);

-- What each instance let through on each budgeted endpoint in the current window, written every
-- few seconds by that instance; every instance adds the others' rows to its own counts, so an
-- endpoint's budget is the gateway's, not each instance's. Per-device counts stay in memory.
create table quota_use (
    window_start         timestamp with time zone not null,
    instance             varchar(128)  not null,
    external_path_key    varchar(1024) not null,
    window_end           timestamp with time zone not null,
    requests             bigint        not null,
    egress_bytes         bigint        not null,
    primary key (window_start, instance, external_path_key)
);

insert into state_revisions (topic, revision) values ('quotas', 0);
