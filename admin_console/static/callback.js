// The page the hosted UI redirects to with ?code=&state=: exchange the code, return to the console.
import { completeSignIn } from "./auth.js";
import { loadConfig } from "./config.js";

const message = document.getElementById("callback-message");
try {
  const config = await loadConfig();
  const returnTo = await completeSignIn(config.sign_in, new URLSearchParams(window.location.search));
  window.location.replace(new URL(`./${returnTo}`, document.baseURI).toString());
} catch (error) {
  message.textContent = `${error.message}.`;
  message.setAttribute("role", "alert");
  const again = document.createElement("a");
  again.href = "./";
  again.textContent = "Back to the console";
  message.after(again);
}
