-- Generator for the customers database (run by psql from the image's init step). The counts are
-- psql variables: 100 products, 100 countries, 30 cities, 100 stores, 100 users, 5 status
-- names, 100 sales and one order status per sale.
\set n_products 100
\set n_countries 100
\set n_cities 30
\set n_stores 100
\set n_users 100
\set n_status 5
\set n_sales 100

INSERT INTO product (product_id, name)
SELECT i, 'Product ' || i FROM generate_series(1, :n_products) AS i;

INSERT INTO country (country_id, country_name)
SELECT i, 'Country ' || i FROM generate_series(1, :n_countries) AS i;

INSERT INTO city (city_id, city_name, country_id)
SELECT i, 'City ' || i, 1 + floor(random() * :n_countries)::int FROM generate_series(1, :n_cities) AS i;

INSERT INTO store (store_id, name, city_id)
SELECT i, 'Store ' || i, 1 + floor(random() * :n_cities)::int FROM generate_series(1, :n_stores) AS i;

INSERT INTO users (user_id, name)
SELECT i, 'User ' || i FROM generate_series(1, :n_users) AS i;

INSERT INTO status_name (status_name_id, status_name)
SELECT i, 'Status Name ' || i FROM generate_series(1, :n_status) AS i;

INSERT INTO sale (sale_id, amount, date_sale, product_id, user_id, store_id)
SELECT gen_random_uuid()::text,
       round((random() * 10000)::numeric, 3),
       timestamp '2023-01-01' + random() * (timestamp '2024-08-01' - timestamp '2023-01-01'),
       1 + floor(random() * :n_products)::int,
       1 + floor(random() * :n_users)::int,
       1 + floor(random() * :n_stores)::int
FROM generate_series(1, :n_sales) AS i;

INSERT INTO order_status (order_status_id, update_at, sale_id, status_name_id)
SELECT gen_random_uuid()::text,
       s.date_sale + random() * interval '5 days',
       s.sale_id,
       1 + floor(random() * :n_status)::int
FROM sale AS s;
