// The device's memory, in IndexedDB database "freecoop":
//   people    {id, name, authorization_token, access_token, access_expires_at,
//              access_expires_local (the same, by this device's clock), backed_up_at,
//              claim_lost (a sign-up whose token never arrived)}
//   heads     {gid, seq, head}: the last log entry seen of each group
//   settings  key -> value (which person is current)
//   receipts  {key: "<person>:<decision>", person, decision, ballot_id, cast_at}: the
//             person's last receipt per decision, to find it in the signed result
// The authorization token is only here and in the backup file: the server keeps just its
// hash, so losing both loses the account.

const DB_NAME = 'freecoop';
// 2 added receipts; each upgrade only adds stores, so what a device kept stays.
const DB_VERSION = 2;

let opening = null;

function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      if (!('indexedDB' in globalThis)) {
        reject(new Error('This browser does not let the page keep data (no IndexedDB).'));
        return;
      }
      const req = indexedDB.open(DB_NAME, DB_VERSION);
      req.onupgradeneeded = () => {
        const db = req.result;
        for (const [name, keyPath] of [['people', 'id'], ['heads', 'gid'], ['settings'], ['receipts', 'key']]) {
          if (!db.objectStoreNames.contains(name)) db.createObjectStore(name, keyPath ? { keyPath } : {});
        }
      };
      req.onsuccess = () => {
        const db = req.result;
        // Another tab upgrading the schema: step aside rather than block it.
        db.onversionchange = () => { db.close(); opening = null; };
        resolve(db);
      };
      req.onerror = () => { opening = null; reject(req.error); };
      req.onblocked = () => reject(new Error('Close the other FreeCoop tabs, then reload this one.'));
    });
  }
  return opening;
}

// fn(objectStore) in one transaction: the result of the request fn returns, once the
// transaction has committed (so a write is durable when we go on).
async function run(storeName, mode, fn) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(storeName, mode);
    const req = fn(tx.objectStore(storeName));
    tx.oncomplete = () => resolve(req ? req.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error('The browser refused to save.'));
  });
}

export const getPerson = (id) => run('people', 'readonly', (s) => s.get(id));
export const allPeople = () => run('people', 'readonly', (s) => s.getAll());
export const putPerson = (person) => run('people', 'readwrite', (s) => s.put(person));
export const deletePerson = (id) => run('people', 'readwrite', (s) => s.delete(id));

export const getHead = (gid) => run('heads', 'readonly', (s) => s.get(gid));
export const putHead = (gid, seq, head) => run('heads', 'readwrite', (s) => s.put({ gid, seq, head }));

export const getReceipt = (person, decision) => run('receipts', 'readonly', (s) => s.get(`${person}:${decision}`));
export const putReceipt = (person, decision, ballotId) => run('receipts', 'readwrite', (s) => s.put({
  key: `${person}:${decision}`, person, decision, ballot_id: ballotId, cast_at: new Date().toISOString(),
}));

export async function currentPerson() {
  const id = await run('settings', 'readonly', (s) => s.get('current'));
  return id ? getPerson(id) : undefined;
}

export const setCurrent = (id) => run('settings', 'readwrite', (s) => s.put(id, 'current'));

export async function updatePerson(id, fields) {
  const person = { ...(await getPerson(id)), ...fields, id };
  await putPerson(person);
  return person;
}
