-- Run once by the postgres image when it initialises (deploy/national/compose.yaml): the reporting database beside
-- the national deployment's own. `xiaofei national subscribe` creates its tables and one subscription per province.
CREATE DATABASE reporting;
