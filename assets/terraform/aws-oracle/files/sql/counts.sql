SET HEADING OFF FEEDBACK OFF PAGESIZE 0 LINESIZE 1000 TRIMOUT ON VERIFY OFF
SELECT 'COUNTS regions=' || (SELECT COUNT(*) FROM regions) || ' countries=' || (SELECT COUNT(*) FROM countries)
    || ' locations=' || (SELECT COUNT(*) FROM locations) || ' warehouses=' || (SELECT COUNT(*) FROM warehouses)
    || ' employees=' || (SELECT COUNT(*) FROM employees) || ' product_categories=' || (SELECT COUNT(*) FROM product_categories)
    || ' products=' || (SELECT COUNT(*) FROM products) || ' customers=' || (SELECT COUNT(*) FROM customers)
    || ' contacts=' || (SELECT COUNT(*) FROM contacts) || ' orders=' || (SELECT COUNT(*) FROM orders)
    || ' order_items=' || (SELECT COUNT(*) FROM order_items) || ' inventories=' || (SELECT COUNT(*) FROM inventories)
    || ' notes=' || (SELECT COUNT(*) FROM notes) FROM dual;
EXIT
