// Image upload: drag and drop (or choose a file), checked here first, previewed, then sent with
// the presigned POST; the image joins the product when storage reports the upload (event-driven).
import { ApiError, uploadFile } from "../api.js";
import { h, notice, replace } from "../dom.js";

// The admin API's rules (SPEC, images): checked before any request, so a wrong file costs nothing.
export const IMAGE_TYPES = ["image/jpeg", "image/png", "image/webp"];
export const IMAGE_MAX_BYTES = 5 * 1024 * 1024;
const REGISTRATION_WAIT_MS = 20_000;

/** Why `file` cannot be uploaded, or null when it can. */
export function imageProblem(file) {
  if (!IMAGE_TYPES.includes(file.type)) return `${file.name} is not a JPEG, PNG or WebP image.`;
  if (file.size > IMAGE_MAX_BYTES) return `${file.name} is larger than 5 MiB (${(file.size / 1048576).toFixed(1)} MiB).`;
  if (file.size === 0) return `${file.name} is empty.`;
  return null;
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The images section of a product page. */
export function imagePanel(product, api, onRegistered) {
  const status = h("div", { class: "upload-status", "aria-live": "polite" });
  const preview = h("div", { class: "preview" });
  const input = h("input", { id: "image-file", type: "file", accept: IMAGE_TYPES.join(","), class: "file-input" });
  const zone = h(
    "div",
    { id: "drop-zone", class: "drop-zone", tabindex: "0", role: "button", "aria-describedby": "drop-hint" },
    h("p", { text: "Drop an image here, or press Enter to choose one" }),
    h("p", { id: "drop-hint", class: "hint", text: "JPEG, PNG or WebP, at most 5 MiB" }),
  );
  const gallery = h(
    "ul",
    { class: "gallery" },
    ...(product.images || []).map((image) => h("li", {}, h("img", { src: image.url, alt: `Image ${image.id} of ${product.name}`, class: "thumb thumb-medium" }))),
  );

  async function send(file) {
    const problem = imageProblem(file);
    if (problem) {
      replace(status, notice("error", `Not uploaded: ${problem}`));
      return;
    }
    const previewUrl = URL.createObjectURL(file);
    replace(preview, h("img", { src: previewUrl, alt: `Preview of ${file.name}`, class: "thumb thumb-medium" }));
    try {
      replace(status, notice("loading", `Uploading ${file.name}…`));
      const ticket = await api.requestImageUpload(product.id, file);
      await uploadFile(ticket.upload, file);
      replace(status, notice("loading", "Uploaded; waiting for the image to be registered…"));
      const deadline = Date.now() + REGISTRATION_WAIT_MS;
      while (Date.now() < deadline) {
        const current = await api.getProduct(product.id);
        if ((current.images || []).some((image) => image.id === ticket.image_id)) {
          await onRegistered(`Image ${file.name} added.`);
          return;
        }
        await sleep(500);
      }
      replace(status, notice("error", "The upload arrived but the image is not registered yet; reload the page in a moment."));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      replace(status, notice("error", `Not uploaded: ${error.message}`));
    }
  }

  zone.addEventListener("click", () => input.click());
  zone.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      input.click();
    }
  });
  zone.addEventListener("dragover", (event) => {
    event.preventDefault();
    zone.classList.add("drop-active");
  });
  zone.addEventListener("dragleave", () => zone.classList.remove("drop-active"));
  zone.addEventListener("drop", (event) => {
    event.preventDefault();
    zone.classList.remove("drop-active");
    const [file] = event.dataTransfer.files;
    if (file) send(file);
  });
  input.addEventListener("change", () => {
    const [file] = input.files;
    if (file) send(file);
    input.value = "";
  });

  return h(
    "section",
    { class: "images", "aria-labelledby": "images-heading" },
    h("h2", { id: "images-heading", text: "Images" }),
    product.images?.length ? gallery : h("p", { class: "hint", text: "No images yet." }),
    zone,
    h("label", { for: "image-file", class: "file-label", text: "Or choose an image file" }),
    input,
    preview,
    status,
  );
}
