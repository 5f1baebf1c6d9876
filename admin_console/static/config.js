// The stage's config.json (admin_console/config.py is its one definition), read once at start.

/** @returns {Promise<{admin_api: string, public_api: string, sign_in: object}>} */
export async function loadConfig() {
  const response = await fetch(new URL("config.json", document.baseURI), { cache: "no-store" });
  if (!response.ok) throw new Error(`config.json could not be read (HTTP ${response.status})`);
  return response.json();
}
