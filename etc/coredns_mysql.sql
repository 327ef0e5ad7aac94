-- coredns_mysql.sql -- the tables of the CoreDNS "mysql" plugin
-- (cybercinch/coredns_mysql_extend), as zone-write-mysql creates them in an
-- empty database. The plugin creates the same columns itself; the lookup
-- index is the one its README recommends. Table names are the defaults
-- (dns.backends.<name>.zones_table and .table_name).
--
--   zones.zone_name    lower-case FQDN with the trailing dot: example.com.
--   records.hostname   relative to the zone: @ (apex), www, *, _sip._tcp
--   records.type       upper-case type: A, AAAA, MX, TXT, TYPE65280...
--   records.data       zone-file RDATA, absolute names, quoted strings:
--                      10 mail.example.com.   "v=spf1 a mx ~all"
--   records.online     the plugin serves only rows with online <> 0
--
-- zone-write-mysql refuses tables that lack one of these columns, have a
-- NOT NULL column without default it cannot fill, are not InnoDB, or
-- whose zone_name is not UNIQUE.

CREATE TABLE IF NOT EXISTS `zones` (
  `id` INT NOT NULL AUTO_INCREMENT,
  `zone_name` VARCHAR(255) NOT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `zone_name` (`zone_name`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE IF NOT EXISTS `records` (
  `id` INT NOT NULL AUTO_INCREMENT,
  `zone_id` INT NOT NULL,
  `hostname` VARCHAR(512) NOT NULL,
  `type` VARCHAR(10) NOT NULL,
  `data` VARCHAR(1024) NOT NULL,
  `ttl` INT NOT NULL DEFAULT 120,
  `online` INT NOT NULL DEFAULT 0,
  PRIMARY KEY (`id`),
  KEY `idx_lookup` (`zone_id`, `hostname`, `type`, `online`),
  FOREIGN KEY (`zone_id`) REFERENCES `zones` (`id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
