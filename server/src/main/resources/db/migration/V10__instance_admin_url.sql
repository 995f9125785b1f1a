-- Where an instance's admin API answers (its membership.admin-url), so that `cmg analyze` reaches
-- every instance from any one of them; null: not advertised.
alter table gateway_instances add column admin_url varchar(2048);
