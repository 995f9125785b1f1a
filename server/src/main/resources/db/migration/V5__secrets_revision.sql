-- Every instance keeps the valid secret versions in memory (the request path never reads the
-- store); a rotation bumps this topic, and the instances reload what changed.
insert into state_revisions (topic, revision) values ('secrets', 0);
