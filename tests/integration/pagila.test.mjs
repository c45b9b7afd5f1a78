// Differential tests on Pagila: enums with odd labels, a domain, arrays, char(n),
// a composite primary key, two foreign keys to one table, a partitioned table and
// views, each compared with hand-written SQL on the same database.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { client, need, sqlRows, sqlRow, env } from '../lib/gql.mjs';

const gql = client(need('GP_PAGILA_URL'));
const db = env.pagilaDb;
const rows = (sql) => sqlRows(db, sql);
const row = (sql) => sqlRow(db, sql);

describe('Pagila', () => {
  it('film_by_pk with an enum, an array and an object relationship', async () => {
    const d = await gql.data('{ film_by_pk(film_id: 1) { title rating special_features release_year language { name } } }');
    const expected = row(`
      select f.title, f.rating, f.special_features, f.release_year,
             (select json_build_object('name', l.name) from language l where l.language_id = f.language_id) as language
        from film f where f.film_id = 1`);
    assert.deepEqual(d.film_by_pk, expected);
  });

  it('a nullable second foreign key to the same table (original_language)', async () => {
    const d = await gql.data('{ film(limit: 3, order_by: {film_id: asc}) { film_id original_language { name } } }');
    const expected = rows(`
      select f.film_id, (select json_build_object('name', l.name) from language l
                           where l.language_id = f.original_language_id) as original_language
        from film f order by f.film_id limit 3`);
    assert.deepEqual(d.film, expected);
  });

  it('actors → film_actor → film, with nested order_by and limit', async () => {
    const d = await gql.data(`{ actor(where: {actor_id: {_in: [1, 2]}}, order_by: {actor_id: asc}) {
        first_name last_name
        film_actor(order_by: {film_id: asc}, limit: 3) { film { title release_year rating } }
      } }`);
    const expected = rows(`
      select a.first_name, a.last_name,
             coalesce((select json_agg(json_build_object('film',
                         (select json_build_object('title', f.title, 'release_year', f.release_year, 'rating', f.rating)
                            from film f where f.film_id = fa.film_id)) order by fa.film_id)
                         from (select * from film_actor where actor_id = a.actor_id order by film_id limit 3) fa), '[]') as film_actor
        from actor a where a.actor_id in (1, 2) order by a.actor_id`);
    assert.deepEqual(d.actor, expected);
  });

  it('four levels: country → city → address → customer', async () => {
    const d = await gql.data(`{ country(where: {country: {_eq: "Canada"}}) {
        country
        city(order_by: {city: asc}) {
          city
          address(order_by: {address_id: asc}) { address customer(order_by: {customer_id: asc}) { first_name email } }
        }
      } }`);
    const expected = rows(`
      select co.country,
             coalesce((select json_agg(json_build_object('city', ci.city,
                 'address', coalesce((select json_agg(json_build_object('address', ad.address,
                     'customer', coalesce((select json_agg(json_build_object('first_name', cu.first_name, 'email', cu.email)
                                                   order by cu.customer_id)
                                             from customer cu where cu.address_id = ad.address_id), '[]'))
                     order by ad.address_id)
                   from address ad where ad.city_id = ci.city_id), '[]'))
                 order by ci.city)
               from city ci where ci.country_id = co.country_id), '[]') as city
        from country co where co.country = 'Canada'`);
    assert.deepEqual(d.country, expected);
  });

  it('filters on an enum label with a hyphen and orders by two keys', async () => {
    const d = await gql.data(`{ film(where: {rating: {_eq: "PG-13"}, length: {_gt: 180}},
                                     order_by: [{length: desc}, {title: asc}]) { title length rating } }`);
    assert.deepEqual(d.film, rows(`select title, length, rating from film
                                    where rating = 'PG-13' and length > 180 order by length desc, title`));
  });

  it('_nin, _is_null and _not together', async () => {
    const d = await gql.data(`{ address(where: {_and: [{city_id: {_nin: [1, 2, 3]}}, {_not: {address2: {_is_null: true}}}]},
                                        order_by: {address_id: asc}, limit: 5, offset: 2) { address_id address2 } }`);
    assert.deepEqual(d.address, rows(`select address_id, address2 from address
                                       where city_id not in (1, 2, 3) and address2 is not null
                                       order by address_id limit 5 offset 2`));
  });

  it('desc_nulls_last and asc_nulls_first on a nullable column', async () => {
    const d = await gql.data(`{
        a: address(order_by: [{address2: desc_nulls_last}, {address_id: asc}], limit: 6) { address_id address2 }
        b: address(order_by: [{address2: asc_nulls_first}, {address_id: asc}], limit: 6) { address_id address2 } }`);
    assert.deepEqual(d, {
      a: rows('select address_id, address2 from address order by address2 desc nulls last, address_id limit 6'),
      b: rows('select address_id, address2 from address order by address2 asc nulls first, address_id limit 6'),
    });
  });

  it('film_actor_by_pk with a composite key and both object relationships', async () => {
    const d = await gql.data('{ film_actor_by_pk(actor_id: 1, film_id: 1) { actor { first_name } film { title } } }');
    const expected = row(`
      select json_build_object('first_name', a.first_name) as actor, json_build_object('title', f.title) as film
        from film_actor fa join actor a using (actor_id) join film f using (film_id)
       where fa.actor_id = 1 and fa.film_id = 1`);
    assert.deepEqual(d.film_actor_by_pk, expected);
  });

  it('category → film_category → film', async () => {
    const d = await gql.data('{ category_by_pk(category_id: 1) { name film_category(order_by: {film_id: asc}, limit: 5) { film { title } } } }');
    const expected = row(`
      select c.name, (select json_agg(json_build_object('film', json_build_object('title', f.title)) order by fc.film_id)
                        from (select * from film_category where category_id = c.category_id order by film_id limit 5) fc
                        join film f on f.film_id = fc.film_id) as film_category
        from category c where c.category_id = 1`);
    assert.deepEqual(d.category_by_pk, expected);
  });

  it('two foreign keys from film to language get distinct array relationships on language', async () => {
    const d = await gql.data(`{ language_by_pk(language_id: 1) {
        name film_by_language_id(limit: 2, order_by: {film_id: asc}) { film_id }
        film_by_original_language_id(limit: 2, order_by: {film_id: asc}) { film_id } } }`);
    const expected = row(`
      select l.name,
             coalesce((select json_agg(json_build_object('film_id', f.film_id) order by f.film_id)
                         from (select film_id from film where language_id = l.language_id order by film_id limit 2) f), '[]') as film_by_language_id,
             coalesce((select json_agg(json_build_object('film_id', f.film_id) order by f.film_id)
                         from (select film_id from film where original_language_id = l.language_id order by film_id limit 2) f), '[]') as film_by_original_language_id
        from language l where l.language_id = 1`);
    assert.deepEqual(d.language_by_pk, expected);
  });

  it('lists the partitioned table through its parent', async () => {
    const d = await gql.data('{ payment(order_by: {payment_id: asc}, limit: 3) { payment_id amount customer_id } }');
    assert.deepEqual(d.payment, rows('select payment_id, amount, customer_id from payment order by payment_id limit 3'));
  });

  it('gives the partitioned table the foreign keys its partitions declare', async () => {
    // Declared on six of payment's seven partitions: the relationships are nullable, and
    // rows of payment_p2022_07 (no keys of its own) still find their parents.
    const q = `{ payment(where: {payment_id: {_in: [16050, 16051, 31000, 32098]}}, order_by: {payment_id: asc}) {
      payment_id customer { customer_id first_name } staff { staff_id } rental { rental_id inventory_id } } }`;
    const d = await gql.data(q);
    const expected = rows(`
      select p.payment_id,
             (select json_build_object('customer_id', c.customer_id, 'first_name', c.first_name)
                from customer c where c.customer_id = p.customer_id) as customer,
             (select json_build_object('staff_id', s.staff_id) from staff s where s.staff_id = p.staff_id) as staff,
             (select json_build_object('rental_id', r.rental_id, 'inventory_id', r.inventory_id)
                from rental r where r.rental_id = p.rental_id) as rental
        from payment p where p.payment_id in (16050, 16051, 31000, 32098) order by p.payment_id`);
    assert.ok(expected.length >= 3, 'the sample reaches several partitions');
    assert.deepEqual(d.payment, expected);
    const t = await gql.data('{ __type(name: "payment") { fields { name type { kind } } } }');
    const kind = (n) => t.__type.fields.find((f) => f.name === n).type.kind;
    assert.equal(kind('customer'), 'OBJECT', 'nullable: one partition does not check the key');
  });

  it('gives the referenced table an array relationship to the partitioned one', async () => {
    const d = await gql.data(`{ customer_by_pk(customer_id: 1) { payment(order_by: {payment_id: asc}) { payment_id amount }
      payment_aggregate { aggregate { count } } } }`);
    const expected = rows('select payment_id, amount from payment where customer_id = 1 order by payment_id');
    assert.deepEqual(d.customer_by_pk.payment, expected);
    assert.equal(d.customer_by_pk.payment_aggregate.aggregate.count, expected.length);
  });

  it('does not expose what an extension owns (pg_stat_statements in public)', async () => {
    assert.equal(row("select count(*)::int as n from pg_extension where extname = 'pg_stat_statements'").n, 1);
    const r = await gql.post('{ pg_stat_statements { query } }');
    assert.match(r.text, /Cannot query field \\"pg_stat_statements\\" on type \\"query_root\\"/);
    const t = await gql.data('{ __schema { types { name } } }');
    assert.deepEqual(t.__schema.types.filter((x) => x.name.startsWith('pg_stat_statements')), []);
  });

  it('hides the partitions themselves', async () => {
    const r = await gql.post('{ payment_p2022_01 { payment_id } }');
    assert.ok(r.body && Array.isArray(r.body.errors) && r.body.errors.length > 0, r.text);
    assert.ok(!r.body.data, r.text);
  });

  it('lists a view with a numeric column', async () => {
    const d = await gql.data('{ film_list(where: {fid: {_lte: 5}}, order_by: [{fid: asc}, {category: asc}]) { fid title price rating } }');
    assert.deepEqual(d.film_list, rows('select fid, title, price, rating from film_list where fid <= 5 order by fid, category'));
  });

  it('lists a materialized view', async () => {
    const d = await gql.data('{ rental_by_category(order_by: {category: asc}) { category total_sales } }');
    assert.deepEqual(d.rental_by_category, rows('select category, total_sales from rental_by_category order by category'));
  });

  it('answers a large list in full', async () => {
    const d = await gql.data('{ rental(order_by: {rental_id: asc}) { rental_id return_date } }');
    const n = Number(sqlRow(db, 'select count(*) as n from rental').n);
    assert.equal(d.rental.length, n);
    assert.deepEqual(d.rental.slice(-3), rows('select rental_id, return_date from rental order by rental_id desc limit 3').reverse());
  });
});
