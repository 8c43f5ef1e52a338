CREATE TABLE shipment (id bigint PRIMARY KEY, address varchar(200) NOT NULL);
