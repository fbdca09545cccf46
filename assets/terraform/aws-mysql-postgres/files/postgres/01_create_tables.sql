-- PostgreSQL data model of the customers database: 8 tables (written for cdc-workshop).
CREATE TABLE product (
  product_id INT PRIMARY KEY,
  name       VARCHAR(200)
);
CREATE TABLE country (
  country_id   INT PRIMARY KEY,
  country_name VARCHAR(200)
);
CREATE TABLE city (
  city_id    INT PRIMARY KEY,
  city_name  VARCHAR(200),
  country_id INT REFERENCES country (country_id)
);
CREATE TABLE store (
  store_id INT PRIMARY KEY,
  name     VARCHAR(200),
  city_id  INT REFERENCES city (city_id)
);
CREATE TABLE users (
  user_id INT PRIMARY KEY,
  name    VARCHAR(200)
);
CREATE TABLE status_name (
  status_name_id INT PRIMARY KEY,
  status_name    VARCHAR(200)
);
CREATE TABLE sale (
  sale_id    VARCHAR(200) PRIMARY KEY,
  amount     DECIMAL(20, 3),
  date_sale  TIMESTAMP,
  product_id INT REFERENCES product (product_id),
  user_id    INT REFERENCES users (user_id),
  store_id   INT REFERENCES store (store_id)
);
CREATE TABLE order_status (
  order_status_id VARCHAR(200) PRIMARY KEY,
  update_at       TIMESTAMP,
  sale_id         VARCHAR(200) REFERENCES sale (sale_id),
  status_name_id  INT REFERENCES status_name (status_name_id)
);
