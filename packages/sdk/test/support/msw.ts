// msw for the React package's tests, which reach it through here: it is the SDK's dev dependency,
// and one copy of the fake network keeps both packages' tests on the same version.
export { delay, HttpResponse, http } from "msw";
export { setupServer } from "msw/node";
