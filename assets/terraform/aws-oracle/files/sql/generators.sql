-- Order generators for the later labs (run by hand as ORDERMGMT).
-- produce_orders: one Pending order every 5 seconds, each committed (3600 orders, about 5 hours).
CREATE OR REPLACE PROCEDURE ordermgmt.produce_orders AS
BEGIN
  FOR i IN 1 .. 3600 LOOP
    INSERT INTO orders (customer_id, status, salesman_id, order_date)
    VALUES (TRUNC(DBMS_RANDOM.VALUE(1, 301)), 'Pending', TRUNC(DBMS_RANDOM.VALUE(1, 101)), SYSDATE);
    COMMIT;
    DBMS_SESSION.SLEEP(5);
  END LOOP;
END;
/
-- produce_orders_wo_commit: one order per second for 10 minutes inside ONE open transaction.
-- It never commits on purpose (long-running-transaction lab); the caller decides to commit or roll back.
CREATE OR REPLACE PROCEDURE ordermgmt.produce_orders_wo_commit AS
BEGIN
  FOR i IN 1 .. 600 LOOP
    INSERT INTO orders (customer_id, status, salesman_id, order_date)
    VALUES (TRUNC(DBMS_RANDOM.VALUE(1, 301)), 'Pending', TRUNC(DBMS_RANDOM.VALUE(1, 101)), SYSDATE);
    DBMS_SESSION.SLEEP(1);
  END LOOP;
END;
/
EXIT
